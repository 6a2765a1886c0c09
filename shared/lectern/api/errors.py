"""Every error leaves as application/problem+json (RFC 9457), mapped here and only here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from lectern.db.errors import sqlstate
from lectern.errors import (
    BudgetExhausted,
    DependencyUnavailable,
    DomainError,
    InvalidField,
    QuotaExceeded,
    RateLimited,
    Unauthorized,
)
from lectern.observability import count_unavailable, get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"
_HTTP_TITLES = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}


def problem_type(slug: str) -> str:
    return f"urn:lectern:problem:{slug}"


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": problem_type(slug), "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_name(loc: tuple[Any, ...]) -> str:
    # ("body", "email") -> "email"; ("query", "limit") -> "limit"; nested -> "options.0.text"
    # Only the first part is the location: a body field may itself be named "query".
    parts = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
    return ".".join(str(p) for p in parts) or ".".join(str(p) for p in loc)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(DomainError, exc)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, RateLimited | BudgetExhausted):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, InvalidField):
        extra["errors"] = [{"field": exc.field, "message": exc.message}]
    if isinstance(exc, QuotaExceeded):
        extra.update(limit=exc.limit, used=exc.used)
        if exc.field:
            extra["errors"] = [{"field": exc.field, "message": exc.detail}]
    if isinstance(exc, DependencyUnavailable):
        get_logger().warning("dependency unavailable", dependency=exc.dependency, reason=exc.reason)
        count_unavailable(exc.dependency)
        extra["dependency"] = exc.dependency
    return problem(exc.status, exc.slug, exc.title, exc.detail, headers=headers or None, **extra)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(RequestValidationError, exc)
    errors = [
        {
            # A body that is not JSON at all has a character offset, not a field, in its loc.
            "field": "body"
            if e.get("type") == "json_invalid"
            else _field_name(tuple(e.get("loc", ()))),
            "message": str(e.get("msg", "invalid")),
        }
        for e in exc.errors()
    ]
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem(
        422, "validation-error", "Invalid input", f"Invalid fields: {fields}", errors=errors
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(StarletteHTTPException, exc)
    title = _HTTP_TITLES.get(exc.status_code, "Error")
    slug = title.lower().replace(" ", "-")
    return problem(exc.status_code, slug, title, str(exc.detail), headers=exc.headers)


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    get_logger().warning("database unavailable", error=type(exc).__name__)
    count_unavailable("database")
    return problem(
        503,
        "dependency-unavailable",
        "Service unavailable",
        "database is unavailable",
        dependency="database",
    )


# SQLSTATEs that mean "the database can't serve us now", not "this request is wrong":
# connection exceptions (08), insufficient resources (53), operator intervention (57:
# statement timeout, shutdown, cannot connect now).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(sa_exc.DBAPIError, exc)
    code = sqlstate(exc)
    if exc.connection_invalidated or (code and code.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)):
        return await _database_unavailable(request, exc)
    return await _unexpected(request, exc)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    get_logger().exception("unhandled error")
    return problem(500, "internal-error", "Internal error", "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for db_down in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.add_exception_handler(db_down, _database_unavailable)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)

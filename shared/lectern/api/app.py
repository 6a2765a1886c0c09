"""The app factory every function uses, and its Lambda entry point."""

from __future__ import annotations

import os
import re
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lectern import startup
from lectern.api.errors import install_error_handlers
from lectern.api.responses import add_problem_schemas
from lectern.api.text_guard import TextGuardMiddleware
from lectern.config import get_settings
from lectern.core import snapstart
from lectern.core.request import RequestInfo, begin_request, end_request
from lectern.observability import get_logger, get_metrics

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = str(value.decode("latin-1"))
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
    event = scope.get("aws.event") or {}
    aws_id = (event.get("requestContext") or {}).get("requestId")
    return str(aws_id) if aws_id else uuid.uuid4().hex


class RequestIdMiddleware:
    """Give every request an id (in the logs, and back as X-Request-Id) and log its outcome."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        client = scope.get("client")
        token = begin_request(
            RequestInfo(request_id=request_id, source_ip=client[0] if client else None, scope=scope)
        )
        logger = get_logger()
        logger.append_keys(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # The route's template, never the raw path: paths carry share tokens and
            # certificate codes, and query strings and bodies may carry more.
            route = getattr(scope.get("route"), "path", None)
            logger.info(
                "request",
                method=scope.get("method"),
                route=route or "(unmatched)",
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            end_request(token)


def _plain_parameters(spec: dict[str, Any]) -> None:
    """A query or path parameter is there or not: a URL has no null. FastAPI writes an
    optional one as ``anyOf: [..., {"type": "null"}]``; the spec says just the type."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                any_of = schema.get("anyOf")
                if not isinstance(any_of, list) or {"type": "null"} not in any_of:
                    continue
                variants = [v for v in any_of if v != {"type": "null"}]
                if len(variants) == 1:
                    del schema["anyOf"]
                    schema.update(variants[0])
                else:
                    schema["anyOf"] = variants


def operation_id(route: APIRoute) -> str:
    """``<tag>_<what>``, which generated clients name their functions by: the route's
    first tag, then its function's name less the tag's noun (``list_courses`` under
    "courses" is ``courses_list``). FastAPI's default repeats the path and method
    (``list_courses_v1_courses_get``). A route's own ``operation_id`` wins."""
    context = _NON_WORD.sub("_", str(route.tags[0]).lower()).strip("_") if route.tags else ""
    words = route.name.split("_")
    nouns = {context, context.removesuffix("s")}
    kept = [word for word in words if word not in nouns]
    if kept == ["my"]:  # "my_teams" stays that, not "teams_my"
        kept = words
    return "_".join(part for part in (context, *kept) if part) or route.name


def create_app(*routers: APIRouter, title: str = "Lectern") -> FastAPI:
    app = FastAPI(
        title=title,
        version="0.1.0",
        description="Lectern: the backend of a learning platform.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    install_error_handlers(app)
    # Innermost: refused text is answered like any other 422, with the request id.
    app.add_middleware(TextGuardMiddleware)
    origins = get_settings().api.cors_origins
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestIdMiddleware)
    for router in routers:
        app.include_router(router)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        spec = generate()  # FastAPI keeps it after the first call
        if first:
            _plain_parameters(spec)
            add_problem_schemas(spec)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def lambda_handler(app: FastAPI) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Mangum behind Powertools: Lambda context and correlation id in logs, EMF metrics."""
    from aws_lambda_powertools.logging import correlation_paths
    from mangum import Mangum

    asgi_handler = Mangum(app, lifespan="off")
    # Most requests record no business metric; Powertools would warn on each of them.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    logger = get_logger()
    metrics = get_metrics()

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @metrics.log_metrics(raise_on_empty_metrics=False)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        startup.loaded()
        response: dict[str, Any] = asgi_handler(event, context)
        return response

    typed = cast(Callable[[dict[str, Any], Any], dict[str, Any]], handler)
    snapstart.register(prime=lambda: prime(typed))
    return typed


# Requests a snapshot can be primed with: nothing behind them but the app itself (the
# spec is built from every route's models; a 404 goes through the middleware and the
# problem+json handlers), so no connection is opened before the snapshot.
PRIME_REQUESTS = (("GET", "/openapi.json", 200), ("GET", "/v1/snapstart-prime", 404))


@dataclass
class _PrimeContext:
    """The Lambda context attributes Powertools reads; a prime is no invocation."""

    function_name: str = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "lectern")
    memory_limit_in_mb: int = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
    invoked_function_arn: str = "arn:aws:lambda:::function:snapstart-prime"
    aws_request_id: str = "snapstart-prime"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def prime(handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
    """Answer ``PRIME_REQUESTS`` through the whole Lambda handler (Powertools, Mangum,
    the middleware, FastAPI), as API Gateway would send them."""
    for method, path, expected in PRIME_REQUESTS:
        event = {
            "version": "2.0",
            "routeKey": f"{method} {path}",
            "rawPath": path,
            "rawQueryString": "",
            "headers": {"host": "snapstart.invalid", "user-agent": "snapstart-prime"},
            "requestContext": {
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": "snapstart-prime",
                },
                "requestId": "snapstart-prime",
                "routeKey": f"{method} {path}",
                "stage": "$default",
                "timeEpoch": int(time.time() * 1000),
            },
            "isBase64Encoded": False,
        }
        status = handler(event, _PrimeContext())["statusCode"]
        if status != expected:
            raise RuntimeError(f"priming {method} {path} answered {status}, not {expected}")

"""Typed dependencies routes declare: a database session, the caller, role checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from lectern.core.principal import Principal, UserRole
from lectern.db.engine import get_sessionmaker, session_scope
from lectern.errors import Forbidden, Unauthorized
from lectern.identity.sessions import resolve_session
from lectern.identity.tokens import MAX_TOKEN_LENGTH, MIN_TOKEN_LENGTH

DbSession = Annotated[Session, Depends(session_scope)]

_bearer = HTTPBearer(auto_error=False, description="A session token from login or verify")


def _principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send 'Authorization: Bearer <session token>'.")
    token = credentials.credentials
    principal = (
        resolve_session(token) if MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH else None
    )
    if principal is None:
        raise Unauthorized("The session token is invalid or expired.")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def _optional_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller if they sent a token (a bad one is still a 401), else anonymous."""
    return None if credentials is None else _principal(credentials)


OptionalPrincipal = Annotated[Principal | None, Depends(_optional_principal)]

# For a route's ``openapi_extra`` when it takes OptionalPrincipal: FastAPI appends this
# empty requirement to HTTPBearer's, which is how OpenAPI says a token is optional.
OPTIONAL_AUTH: dict[str, Any] = {"security": [{}]}


# For the hottest routes (an exam answer): the same dependencies, run on the event loop
# instead of a worker thread. FastAPI hops to a thread for every sync dependency and sync
# route, and under Mangum each invocation is a new root task, which anyio's worker
# threads do not outlive, so every request also starts a thread. In Lambda a container
# serves one request at a time, so blocking the loop holds nothing up; such a route is
# ``async def`` and calls its (sync) service directly. Under the local all-routes server
# it holds up other requests for that long, which is a dev server's problem only.
async def _inline_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return _principal(credentials)


async def _inline_session() -> AsyncIterator[Session]:
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()


InlinePrincipal = Annotated[Principal, Depends(_inline_principal)]
InlineDbSession = Annotated[Session, Depends(_inline_session)]


def require_role(*roles: UserRole) -> Callable[[Principal], Principal]:
    allowed = frozenset(roles)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden("Your role may not do this.")
        return principal

    return check


AdminPrincipal = Annotated[Principal, Depends(require_role(UserRole.admin))]
AuthorPrincipal = Annotated[Principal, Depends(require_role(UserRole.instructor, UserRole.admin))]


def client_ip(request: Request) -> str | None:
    """The caller's address: API Gateway's sourceIp (Mangum puts it in scope['client'])."""
    return request.client.host if request.client else None

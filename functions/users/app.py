"""Function `users`: the caller's own account, its password and sessions, its export and
deletion; admin role changes."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import AdminPrincipal, CurrentPrincipal, DbSession, client_ip
from lectern.api.responses import problem, problems
from lectern.identity import self_service, service
from lectern.identity.schemas import (
    MeOut,
    MeUpdateIn,
    PasswordChangeIn,
    SessionListOut,
    UserOut,
    UserRoleIn,
)

router = APIRouter(prefix="/v1", tags=["users"], responses=problems(401, 422, 503))


@router.get("/me", operation_id="users_me")
def get_me(principal: CurrentPrincipal, db: DbSession) -> MeOut:
    return service.get_me(db, principal)


@router.patch("/me")
def update_me(body: MeUpdateIn, principal: CurrentPrincipal, db: DbSession) -> MeOut:
    return service.update_me(db, principal, body)


@router.get("/me/export")
def export_me(principal: CurrentPrincipal, db: DbSession) -> dict[str, Any]:
    return service.export_me(db, principal)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
def delete_me(principal: CurrentPrincipal, db: DbSession) -> Response:
    service.delete_me(db, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=problems(429))
def change_password(
    body: PasswordChangeIn,
    principal: CurrentPrincipal,
    db: DbSession,
    ip: Annotated[str | None, Depends(client_ip)],
) -> Response:
    """Set a new password (the current one is required when there is one); every other
    session of the caller ends."""
    self_service.change_password(db, principal, body, ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/sessions")
def list_sessions(principal: CurrentPrincipal) -> SessionListOut:
    return self_service.list_sessions(principal)


@router.delete("/me/sessions/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
def end_session(
    id: Annotated[str, Path(min_length=1, max_length=64)], principal: CurrentPrincipal
) -> Response:
    self_service.end_session(principal, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/me/sessions", status_code=status.HTTP_204_NO_CONTENT)
def end_other_sessions(principal: CurrentPrincipal) -> Response:
    """End every session of the caller but the one making this call."""
    self_service.end_other_sessions(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch(
    "/admin/users/{id}",
    responses={**problems(403, 404), **problem(409, "The last admin cannot be demoted.")},
)
def set_role(id: uuid.UUID, body: UserRoleIn, admin: AdminPrincipal, db: DbSession) -> UserOut:
    return service.set_role(db, id, body.role, actor_id=admin.user_id)


app = create_app(router, title="Lectern users")
handler = lambda_handler(app)

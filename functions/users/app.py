"""Function `users`: the caller's own account, its export and deletion; admin role changes."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import AdminPrincipal, CurrentPrincipal, DbSession
from lectern.identity import service
from lectern.identity.schemas import MeOut, MeUpdateIn, RoleIn, UserOut

router = APIRouter(prefix="/v1", tags=["users"])


@router.get("/me")
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


@router.patch("/admin/users/{id}")
def set_role(id: uuid.UUID, body: RoleIn, _admin: AdminPrincipal, db: DbSession) -> UserOut:
    return service.set_role(db, id, body.role)


app = create_app(router, title="Lectern users")
handler = lambda_handler(app)

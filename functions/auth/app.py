"""Function `auth`: register, password login, magic links, logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession, client_ip
from lectern.identity import service
from lectern.identity.schemas import (
    AcceptedOut,
    AuthOut,
    LoginIn,
    MagicLinkIn,
    RegisterIn,
    VerifyIn,
)
from lectern.observability import count

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: RegisterIn, db: DbSession) -> AuthOut:
    result = service.register(db, body)
    count("UserRegistered")
    return result


@router.post("/login")
def login(body: LoginIn, db: DbSession, ip: Annotated[str | None, Depends(client_ip)]) -> AuthOut:
    return service.login(db, body, ip)


@router.post("/magic-link", status_code=status.HTTP_202_ACCEPTED)
def magic_link(body: MagicLinkIn) -> AcceptedOut:
    service.request_magic_link(body.email)
    count("MagicLinkSent")
    return AcceptedOut()


@router.post("/magic-link/verify")
def verify_magic_link(body: VerifyIn, db: DbSession) -> AuthOut:
    return service.verify_magic_link(db, body.token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(principal: CurrentPrincipal) -> Response:
    service.logout(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


app = create_app(router, title="Lectern auth")
handler = lambda_handler(app)

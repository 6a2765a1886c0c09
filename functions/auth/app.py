"""Function `auth`: register, password login, magic links, email verification, password
resets, logout."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession, client_ip
from lectern.api.responses import problem, problems
from lectern.identity import self_service, service
from lectern.identity.schemas import (
    AuthOut,
    EmailVerifiedOut,
    LoginIn,
    MagicLinkIn,
    MailAcceptedOut,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RegisterIn,
    VerifyIn,
)
from lectern.observability import count

router = APIRouter(prefix="/v1/auth", tags=["auth"], responses=problems(422, 503))


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={**problems(429), **problem(409, "The address has an account.")},
)
def register(
    body: RegisterIn, db: DbSession, ip: Annotated[str | None, Depends(client_ip)]
) -> AuthOut:
    result = service.register(db, body, ip)
    count("UserRegistered")
    return result


@router.post("/login", responses={**problems(429), **problem(401, "Wrong email or password.")})
def login(body: LoginIn, db: DbSession, ip: Annotated[str | None, Depends(client_ip)]) -> AuthOut:
    return service.login(db, body, ip)


@router.post("/magic-link", status_code=status.HTTP_202_ACCEPTED, responses=problems(429))
def magic_link(body: MagicLinkIn, ip: Annotated[str | None, Depends(client_ip)]) -> MailAcceptedOut:
    service.request_magic_link(body.email, ip)
    count("MagicLinkSent")
    return MailAcceptedOut()


@router.post("/magic-link/verify", responses=problem(401, "The link is invalid, expired or used."))
def verify_magic_link(body: VerifyIn, db: DbSession) -> AuthOut:
    return service.verify_magic_link(db, body.token)


@router.post(
    "/email-verification", status_code=status.HTTP_202_ACCEPTED, responses=problems(401, 429)
)
def request_email_verification(principal: CurrentPrincipal, db: DbSession) -> MailAcceptedOut:
    """Mail a link that verifies the caller's address (none once it is verified)."""
    service.request_email_verification(db, principal)
    return MailAcceptedOut()


@router.post(
    "/email-verification/confirm", responses=problem(401, "The link is invalid, expired or used.")
)
def confirm_email_verification(body: VerifyIn, db: DbSession) -> EmailVerifiedOut:
    return service.confirm_email_verification(db, body.token)


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, responses=problems(429))
def request_password_reset(
    body: PasswordResetIn, db: DbSession, ip: Annotated[str | None, Depends(client_ip)]
) -> MailAcceptedOut:
    """Mail a single-use reset link if the address has an account; 202 either way."""
    self_service.request_password_reset(db, body.email, ip)
    return MailAcceptedOut()


@router.post(
    "/password-reset/confirm", responses=problem(401, "The link is invalid, expired or used.")
)
def confirm_password_reset(body: PasswordResetConfirmIn, db: DbSession) -> AuthOut:
    """Set the new password, end every older session and start a new one."""
    return self_service.confirm_password_reset(db, body)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problems(401))
def logout(principal: CurrentPrincipal) -> Response:
    service.logout(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


app = create_app(router, title="Lectern auth")
handler = lambda_handler(app)

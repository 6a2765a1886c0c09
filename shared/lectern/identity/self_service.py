"""Account self-service: changing and resetting a password, listing and ending sessions.

A password change or reset ends the account's other sessions: whoever held them may be
the reason for the change. The database work is flushed first, then the sessions are
revoked (KV), then the commit: a KV outage is a 503 with the old password still in place.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.principal import Principal
from lectern.errors import InvalidField, NotFound, Unauthorized
from lectern.identity import password_reset, passwords, sessions, throttle
from lectern.identity.models import Credential, User
from lectern.identity.schemas import (
    AuthOut,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    SessionInfoOut,
    SessionListOut,
    SessionOut,
)
from lectern.identity.service import current_user, user_out
from lectern.mail.factory import get_mailer

WRONG_PASSWORD = "The current password is wrong."  # noqa: S105 - a message
BAD_RESET_LINK = "This reset link is invalid, expired or already used."


def _set_password(db: Session, user: User, new_password: str) -> None:
    credential = db.get(Credential, user.id, with_for_update=True)
    new_hash = passwords.hash_password(new_password)
    if credential is None:
        # A magic-link account adds its first password here.
        db.add(Credential(user_id=user.id, password_hash=new_hash))
    else:
        credential.password_hash = new_hash
    db.flush()


def change_password(
    db: Session, principal: Principal, data: PasswordChangeIn, ip: str | None
) -> None:
    user = current_user(db, principal)
    credential = db.get(Credential, user.id)
    if credential is not None:
        if data.current_password is None:
            raise InvalidField("current_password", "required: the account has a password")
        # Wrong current passwords count as failed logins: a stolen session is no quicker
        # a way to guess the password than the login form.
        throttle.check_login(user.email, ip)
        if not passwords.verify_password(credential.password_hash, data.current_password):
            throttle.login_failed(user.email, ip)
            raise Unauthorized(WRONG_PASSWORD)
    _set_password(db, user, data.new_password)
    sessions.revoke_other_sessions(user.id, keep=principal.token_hash)
    db.commit()


def request_password_reset(db: Session, email: str, ip: str | None) -> None:
    """Mail a reset link when the address has an account; the same answer either way."""
    throttle.check_password_reset(email, ip)
    user = db.scalar(select(User).where(User.email == email, User.deleted_at.is_(None)))
    if user is None:
        return
    auth = get_settings().auth
    token = password_reset.issue_reset_token(user.id, user.email)
    separator = "&" if "?" in auth.password_reset_url else "?"
    text = (
        "Choose a new Lectern password with this link:\n\n"
        f"{auth.password_reset_url}{separator}token={token}\n\n"
        f"It works once and expires in {auth.password_reset_ttl_minutes} minutes. "
        "If you did not ask for it, ignore this mail: your password stays as it is.\n"
    )
    get_mailer().send(user.email, "Reset your Lectern password", text)


def confirm_password_reset(db: Session, data: PasswordResetConfirmIn) -> AuthOut:
    proven = password_reset.consume_reset_token(data.token)
    user = db.get(User, proven[0], with_for_update=True) if proven else None
    # The address must still be the account's: the link proves the mailbox it went to.
    if proven is None or user is None or user.deleted_at is not None or user.email != proven[1]:
        raise Unauthorized(BAD_RESET_LINK)
    _set_password(db, user, data.new_password)
    user.email_verified_at = user.email_verified_at or datetime.now(UTC)
    db.flush()
    # Every session from before the reset ends, then the new one begins.
    sessions.revoke_other_sessions(user.id, keep=None)
    issued = sessions.create_session(user.id, user.profile.role)
    db.commit()
    return AuthOut(
        user=user_out(user), session=SessionOut(token=issued.token, expires_at=issued.expires_at)
    )


def list_sessions(principal: Principal) -> SessionListOut:
    return SessionListOut(
        items=[
            SessionInfoOut(
                id=s.id,
                created_at=s.created_at,
                expires_at=s.expires_at,
                current=s.token_hash == principal.token_hash,
            )
            for s in sessions.live_sessions(principal.user_id)
        ]
    )


def end_session(principal: Principal, session_id: str) -> None:
    """End one of the caller's sessions (the current one too); 404 if not theirs or gone."""
    for s in sessions.live_sessions(principal.user_id):
        if s.id == session_id:
            sessions.revoke_hashes(principal.user_id, [s.token_hash])
            return
    raise NotFound("No such session.")


def end_other_sessions(principal: Principal) -> None:
    sessions.revoke_other_sessions(principal.user_id, keep=principal.token_hash)

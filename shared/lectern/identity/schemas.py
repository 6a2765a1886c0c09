"""What a client may send (``*In``: allow-lists, unknown fields refused) and what it gets back."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

import email_validator
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from lectern.core.principal import UserRole
from lectern.identity.tokens import MAX_TOKEN_LENGTH, MIN_TOKEN_LENGTH

# ".local" is the local stack's mail domain (its demo accounts live there); mail to it is
# only ever delivered by the local SES stand-in, so accepting it elsewhere is harmless.
email_validator.SPECIAL_USE_DOMAIN_NAMES = [
    d for d in email_validator.SPECIAL_USE_DOMAIN_NAMES if d != "local"
]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 would hash more, but nobody types this much


def normalize_email(value: str) -> str:
    try:
        checked = email_validator.validate_email(value.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return checked.normalized.lower()


# format: email in the spec, so clients (and the fuzz run) know an address is wanted.
Email = Annotated[
    str,
    Field(max_length=320, json_schema_extra={"format": "email"}),
    AfterValidator(normalize_email),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]
Token = Annotated[str, Field(min_length=MIN_TOKEN_LENGTH, max_length=MAX_TOKEN_LENGTH)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_In):
    email: Email
    password: Annotated[Password, Field(json_schema_extra={"format": "password"})]
    name: Name


class LoginIn(_In):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class MagicLinkIn(_In):
    email: Email


class VerifyIn(_In):
    token: Token


MAX_PREFERENCES_BYTES = 16_384


def _bounded_preferences(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value)) > MAX_PREFERENCES_BYTES:
        raise ValueError(f"at most {MAX_PREFERENCES_BYTES} bytes of JSON")
    return value


class MeUpdateIn(_In):
    name: Name | None = None
    # Strict: 0 or "no" is not false.
    leaderboard_visible: StrictBool | None = Field(
        default=None, description="false keeps the caller off the leaderboards."
    )
    preferences: Annotated[dict[str, Any] | None, AfterValidator(_bounded_preferences)] = Field(
        default=None, max_length=100
    )


class UserRoleIn(_In):
    role: UserRole


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: UserRole


class SessionOut(BaseModel):
    token: str
    expires_at: datetime


class AuthOut(BaseModel):
    user: UserOut
    session: SessionOut


class MeOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: UserRole
    xp: int
    level: int
    streak_days: int
    preferences: dict[str, Any]
    leaderboard_visible: bool
    email_verified: bool
    created_at: datetime


class EmailVerifiedOut(BaseModel):
    email_verified: bool


class MailAcceptedOut(BaseModel):
    """A request that may send a mail: the same answer whether or not one went."""

    status: str = "accepted"


class PasswordChangeIn(_In):
    current_password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)] | None = (
        Field(default=None, description="Required when the account has a password.")
    )
    new_password: Annotated[Password, Field(json_schema_extra={"format": "password"})]


class PasswordResetIn(_In):
    email: Email


class PasswordResetConfirmIn(_In):
    token: Token
    new_password: Annotated[Password, Field(json_schema_extra={"format": "password"})]


class SessionInfoOut(BaseModel):
    id: str = Field(description="Not the token: an id to end this session by.")
    created_at: datetime
    expires_at: datetime
    current: bool


class SessionListOut(BaseModel):
    items: list[SessionInfoOut]

"""Single-use password-reset tokens: ``reset:<sha256(token)>`` → user id and address, with
a TTL of at most 15 minutes, consumed with GETDEL (only by ``POST …/password-reset/confirm``,
so a mail scanner following the link cannot burn it)."""

from __future__ import annotations

import json
import uuid

from lectern.config import get_settings
from lectern.identity.tokens import hash_token, new_token
from lectern.kv.factory import get_kv
from lectern.kv.port import key


def issue_reset_token(user_id: uuid.UUID, email: str) -> str:
    token = new_token()
    ttl = get_settings().auth.password_reset_ttl_minutes * 60
    value = json.dumps({"uid": str(user_id), "email": email})
    get_kv().set(key("reset", hash_token(token)), value, ex=ttl)
    return token


def consume_reset_token(token: str) -> tuple[uuid.UUID, str] | None:
    """Whose password the token may reset, once; None if used, expired or unknown.
    GETDEL is atomic: of any number of concurrent confirms, one gets the value."""
    value = get_kv().getdel(key("reset", hash_token(token)))
    if not isinstance(value, str):
        return None
    data = json.loads(value)
    return uuid.UUID(data["uid"]), str(data["email"])

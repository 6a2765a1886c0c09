"""Single-use email verification tokens: ``verify:<sha256(token)>`` → user id and address,
consumed with GETDEL (only by ``POST …/email-verification/confirm``)."""

from __future__ import annotations

import json
import uuid

from lectern.config import get_settings
from lectern.identity.tokens import hash_token, new_token
from lectern.kv.factory import get_kv
from lectern.kv.port import key


def issue_verification_token(user_id: uuid.UUID, email: str) -> str:
    token = new_token()
    ttl = get_settings().auth.email_verification_ttl_hours * 3600
    value = json.dumps({"uid": str(user_id), "email": email})
    get_kv().set(key("verify", hash_token(token)), value, ex=ttl)
    return token


def consume_verification_token(token: str) -> tuple[uuid.UUID, str] | None:
    """Whose address the token proves, once; None if used, expired or unknown."""
    value = get_kv().getdel(key("verify", hash_token(token)))
    if not isinstance(value, str):
        return None
    data = json.loads(value)
    return uuid.UUID(data["uid"]), str(data["email"])

"""Single-use magic-link tokens: ``magic:<sha256(token)>`` → email, consumed with GETDEL."""

from __future__ import annotations

from lectern.config import get_settings
from lectern.identity.tokens import hash_token, new_token
from lectern.kv.factory import get_kv
from lectern.kv.port import key


def issue_magic_token(email: str) -> str:
    token = new_token()
    ttl = get_settings().auth.magic_link_ttl_minutes * 60
    get_kv().set(key("magic", hash_token(token)), email, ex=ttl)
    return token


def consume_magic_token(token: str) -> str | None:
    """The email the token was issued for, once; None if used, expired or unknown."""
    value = get_kv().getdel(key("magic", hash_token(token)))
    return value if isinstance(value, str) else None

"""Sessions in Upstash: ``session:<sha256(token)>`` → who and what role, with a TTL.

An authenticated request costs one KV call (GET). Each user also has a sorted set of
their session hashes scored by expiry, so that account deletion and role changes reach
every live session; expired members are pruned whenever a session is created.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lectern.config import get_settings
from lectern.core.principal import Principal, UserRole
from lectern.identity.tokens import hash_token, new_token
from lectern.kv.factory import get_kv
from lectern.kv.port import key


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime


def _session_key(token_hash: str) -> str:
    return key("session", token_hash)


def _user_sessions_key(user_id: uuid.UUID) -> str:
    return key("user-sessions", str(user_id))


def create_session(user_id: uuid.UUID, role: UserRole) -> IssuedSession:
    ttl = get_settings().auth.session_ttl_hours * 3600
    token = new_token()
    token_hash = hash_token(token)
    now = int(time.time())
    value = json.dumps({"uid": str(user_id), "role": role.value, "iat": now, "exp": now + ttl})
    index = _user_sessions_key(user_id)
    pipe = get_kv().pipeline()
    pipe.set(_session_key(token_hash), value, ex=ttl)
    pipe.zadd(index, {token_hash: now + ttl})
    pipe.zremrangebyscore(index, "-inf", now)
    pipe.expire(index, ttl)
    pipe.exec()
    return IssuedSession(token=token, expires_at=datetime.fromtimestamp(now + ttl, UTC))


def resolve_session(token: str) -> Principal | None:
    token_hash = hash_token(token)
    raw = get_kv().get(_session_key(token_hash))
    if raw is None:
        return None
    data = json.loads(raw)
    return Principal(uuid.UUID(data["uid"]), UserRole(data["role"]), token_hash)


def revoke_session(principal: Principal) -> None:
    pipe = get_kv().pipeline()
    pipe.delete(_session_key(principal.token_hash))
    pipe.zrem(_user_sessions_key(principal.user_id), principal.token_hash)
    pipe.exec()


def _live_session_hashes(user_id: uuid.UUID) -> list[str]:
    members = get_kv().zrange(
        _user_sessions_key(user_id), int(time.time()), "+inf", sortby="BYSCORE"
    )
    return [str(m) for m in members]


def _live_sessions(user_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    """Each live session of a user as (its key, its stored value)."""
    hashes = _live_session_hashes(user_id)
    if not hashes:
        return []
    keys = [_session_key(h) for h in hashes]
    values = get_kv().mget(*keys)
    return [(k, json.loads(raw)) for k, raw in zip(keys, values, strict=True) if raw]


def public_id(token_hash: str) -> str:
    """A session's id for its owner's list: derived from the token's hash, so it costs no
    storage, and one-way, so neither the token nor its KV key can be read back from it."""
    return hashlib.sha256(f"session-id:{token_hash}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LiveSession:
    id: str
    token_hash: str
    created_at: datetime
    expires_at: datetime


def live_sessions(user_id: uuid.UUID) -> list[LiveSession]:
    """The user's live sessions, newest first (two KV calls: the index, then one MGET)."""
    found = [
        LiveSession(
            id=public_id(session_key.rsplit(":", 1)[1]),
            token_hash=session_key.rsplit(":", 1)[1],
            created_at=datetime.fromtimestamp(data["iat"], UTC),
            expires_at=datetime.fromtimestamp(data["exp"], UTC),
        )
        for session_key, data in _live_sessions(user_id)
    ]
    return sorted(found, key=lambda s: s.created_at, reverse=True)


def revoke_hashes(user_id: uuid.UUID, token_hashes: list[str]) -> None:
    """End these sessions of the user at once (one pipelined call)."""
    if not token_hashes:
        return
    pipe = get_kv().pipeline()
    for token_hash in token_hashes:
        pipe.delete(_session_key(token_hash))
    pipe.zrem(_user_sessions_key(user_id), *token_hashes)
    pipe.exec()


def revoke_other_sessions(user_id: uuid.UUID, keep: str | None) -> int:
    """End every live session of the user but ``keep`` (a token hash); how many ended."""
    others = [h for h in _live_session_hashes(user_id) if h != keep]
    revoke_hashes(user_id, others)
    return len(others)


def list_sessions(user_id: uuid.UUID) -> list[dict[str, str]]:
    """The live sessions of a user: when each began and ends (for the data export)."""
    return [
        {
            "created_at": datetime.fromtimestamp(data["iat"], UTC).isoformat(),
            "expires_at": datetime.fromtimestamp(data["exp"], UTC).isoformat(),
        }
        for _key, data in _live_sessions(user_id)
    ]


def revoke_all_sessions(user_id: uuid.UUID) -> int:
    hashes = _live_session_hashes(user_id)
    pipe = get_kv().pipeline()
    for token_hash in hashes:
        pipe.delete(_session_key(token_hash))
    pipe.delete(_user_sessions_key(user_id))
    pipe.exec()
    return len(hashes)


def change_sessions_role(user_id: uuid.UUID, role: UserRole) -> None:
    """Rewrite the role in every live session, keeping each one's remaining TTL."""
    now = int(time.time())
    updates = [
        (session_key, {**data, "role": role.value}, int(data["exp"]) - now)
        for session_key, data in _live_sessions(user_id)
        if int(data["exp"]) > now
    ]
    if not updates:
        return
    pipe = get_kv().pipeline()
    for session_key, data, remaining in updates:
        pipe.set(session_key, json.dumps(data), ex=remaining)
    pipe.exec()

"""Opaque bearer tokens: 256 random bits, kept server-side only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
# What a presented token may measure: ours are 43 characters; anything far off is refused
# before a KV lookup.
MIN_TOKEN_LENGTH = 16
MAX_TOKEN_LENGTH = 256


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

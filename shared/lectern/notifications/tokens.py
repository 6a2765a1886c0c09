"""Unsubscribe tokens: signed, per user and per type, carried by every mail.

A token is ``<payload>.<mac>``, both base64url: the payload is the user's id (16 bytes)
and the type's name, the MAC an HMAC-SHA256 of it under the signing key
(``LECTERN_NOTIFICATIONS_SIGNING_KEY``, a secret in AWS), cut to 128 bits. It needs no
storage and does not expire: mail in an inbox keeps working. Only who holds the mail
holds the token, and all it can do is turn one type's mail off.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

from lectern.config import get_settings, signing_key

# The digest mail's own scope: it carries every type the user gets daily.
DIGEST = "digest"
_DOMAIN = b"lectern.unsubscribe.v1:"
_MAC_BYTES = 16


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: bytes) -> bytes:
    key = signing_key(get_settings())
    return hmac.new(key, _DOMAIN + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def sign(user_id: uuid.UUID, type_name: str) -> str:
    payload = user_id.bytes + type_name.encode()
    return f"{_b64(payload)}.{_b64(_mac(payload))}"


def verify(token: str) -> tuple[uuid.UUID, str] | None:
    """The (user, type) a token was signed for, or None for anything else."""
    encoded, _, mac = token.partition(".")
    try:
        payload, given = _unb64(encoded), _unb64(mac)
    except (binascii.Error, ValueError):
        return None
    if len(payload) <= 16 or not hmac.compare_digest(given, _mac(payload)):
        return None
    try:
        return uuid.UUID(bytes=payload[:16]), payload[16:].decode()
    except UnicodeDecodeError:
        return None

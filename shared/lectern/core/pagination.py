"""Opaque cursors for keyset pagination (``limit``, ``cursor`` -> ``next_cursor``)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from lectern.errors import InvalidField

T = TypeVar("T")
BAD_CURSOR = "not a cursor this API issued"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidField("cursor", BAD_CURSOR) from exc
    if not isinstance(value, dict):
        raise InvalidField("cursor", BAD_CURSOR)
    return value


def encode_keyset(at: datetime, row_id: uuid.UUID) -> str:
    """The cursor after a row of a list ordered by (timestamp, id), newest first."""
    return encode_cursor({"at": at.isoformat(), "id": str(row_id)})


def decode_keyset(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (timestamp, id) a page ended at; a 422 naming ``cursor`` for anything else."""
    position = decode_cursor(cursor)
    try:
        at = datetime.fromisoformat(str(position["at"]))
        row_id = uuid.UUID(str(position["id"]))
    except (KeyError, ValueError) as exc:
        raise InvalidField("cursor", BAD_CURSOR) from exc
    if at.tzinfo is None:
        raise InvalidField("cursor", BAD_CURSOR)
    return at, row_id

"""Keyset pagination, one way for every list: ``limit``, ``cursor`` -> ``next_cursor``.

A list is read newest first by (timestamp, id) with one row more than the page
(``keyset_query``); the surplus row only says another page exists, and the cursor is the
last row's position (``split_page``). ``keyset_rows`` does both, ``keyset_page`` also
makes the items. Cursors are opaque to clients. Their cap and the page sizes are here;
the routes declare them as parameters through ``lectern.api.params``.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar, TypeVarTuple

from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import QueryableAttribute, Session

from lectern.errors import InvalidField

T = TypeVar("T")
R = TypeVar("R")
Ts = TypeVarTuple("Ts")
BAD_CURSOR = "not a cursor this API issued"

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Cursors issued are about 100 characters; the cap only bounds what a client may send.
MAX_CURSOR = 512
LIMIT_DESCRIPTION = "At most this many items."
CURSOR_DESCRIPTION = "The previous page's next_cursor; leave it out for the first page."


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


def keyset_query(
    stmt: Select[*Ts],
    at: QueryableAttribute[datetime],
    row_id: QueryableAttribute[uuid.UUID],
    *,
    limit: int,
    cursor: str | None,
) -> Select[*Ts]:
    """``stmt`` newest first by (``at``, ``row_id``), after the cursor's row, one row more
    than a page. A cursor this API did not issue is a 422 naming ``cursor``."""
    if cursor is not None:
        stmt = stmt.where(tuple_(at, row_id) < tuple_(*decode_keyset(cursor)))
    return stmt.order_by(at.desc(), row_id.desc()).limit(limit + 1)


def split_page(
    rows: Sequence[R], limit: int, cursor_after: Callable[[R], str]
) -> tuple[list[R], str | None]:
    """The page among rows fetched with ``limit + 1``, and the cursor after it when the
    surplus row says there is another page."""
    if len(rows) <= limit:
        return list(rows), None
    page = list(rows[:limit])
    return page, cursor_after(page[-1])


def keyset_rows(
    db: Session,
    stmt: Select[*Ts],
    at: QueryableAttribute[datetime],
    row_id: QueryableAttribute[uuid.UUID],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` and the cursor after it: the objects of an entity select
    (``select(Document)``), the rows of any other. The cursor is read from the last one's
    attributes named as ``at`` and ``row_id``."""
    query = keyset_query(stmt, at, row_id, limit=limit, cursor=cursor)
    result = db.execute(query)
    rows: Sequence[Any] = (
        result.scalars().all() if len(query.column_descriptions) == 1 else result.all()
    )
    return split_page(
        rows, limit, lambda row: encode_keyset(getattr(row, at.key), getattr(row, row_id.key))
    )


def keyset_page(
    db: Session,
    stmt: Select[*Ts],
    at: QueryableAttribute[datetime],
    row_id: QueryableAttribute[uuid.UUID],
    *,
    limit: int,
    cursor: str | None,
    out: Callable[[Any], T],
) -> Page[T]:
    """``keyset_rows`` as a page, each object or row made an item by ``out``."""
    rows, next_cursor = keyset_rows(db, stmt, at, row_id, limit=limit, cursor=cursor)
    return Page[T](items=[out(row) for row in rows], next_cursor=next_cursor)

"""Writing events: a whole batch in one INSERT ... SELECT FROM unnest(...), never a
round trip per event."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, UUID
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from lectern.analytics.models import EventType
from lectern.analytics.partitions import ensure_partitions
from lectern.core.ids import uuid7
from lectern.db.errors import sqlstate


@dataclass(frozen=True)
class NewEvent:
    type: EventType
    occurred_at: datetime
    user_id: uuid.UUID | None = None
    course_id: uuid.UUID | None = None
    context: dict[str, Any] = field(default_factory=dict)


_INSERT = text(
    "INSERT INTO events (id, occurred_at, type, user_id, course_id, context) "
    "SELECT id, occurred_at, type::event_type, user_id, course_id, context::jsonb "
    "FROM unnest(:ids, :occurred, :types, :users, :courses, :contexts) "
    "AS e(id, occurred_at, type, user_id, course_id, context)"
).bindparams(
    bindparam("ids", type_=ARRAY(UUID(as_uuid=True))),
    bindparam("occurred", type_=ARRAY(TIMESTAMP(timezone=True))),
    bindparam("types", type_=ARRAY(Text)),
    bindparam("users", type_=ARRAY(UUID(as_uuid=True))),
    bindparam("courses", type_=ARRAY(UUID(as_uuid=True))),
    bindparam("contexts", type_=ARRAY(Text)),
)

# Postgres refuses a row no partition takes with a check violation.
NO_PARTITION = "23514"


def record_events(db: Session, events: Sequence[NewEvent]) -> int:
    """Insert ``events`` in the caller's transaction (flushed, not committed).

    If a month has no partition yet (the scheduler makes them ahead, but a fresh or
    long-idle database may lag), it is made and the batch retried once.
    """
    if not events:
        return 0
    params = {
        "ids": [uuid7() for _ in events],
        "occurred": [e.occurred_at for e in events],
        "types": [e.type.value for e in events],
        "users": [e.user_id for e in events],
        "courses": [e.course_id for e in events],
        "contexts": [json.dumps(e.context, separators=(",", ":")) for e in events],
    }
    try:
        with db.begin_nested():
            db.execute(_INSERT, params)
    except DBAPIError as exc:
        if sqlstate(exc) != NO_PARTITION:
            raise
        months = sorted(e.occurred_at.date() for e in events)
        ensure_partitions(db.connection(), months[0], months[-1])
        db.execute(_INSERT, params)
    return len(events)

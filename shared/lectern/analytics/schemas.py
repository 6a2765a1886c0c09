"""What a client may send to analytics (``*In``: allow-lists) and what reports return."""

from __future__ import annotations

import json
import math
import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

from lectern.analytics.models import EventType
from lectern.core.registry import get_registry
from lectern.core.times import DateTimeText

MAX_BATCH = 500
MAX_CONTEXT_BYTES = 8192
# Deep enough for any real context; shallow enough that walking and storing it is cheap.
MAX_CONTEXT_DEPTH = 16


def _check_value(value: Any, depth: int) -> None:
    """Refuse what JSONB cannot hold (NUL in text, NaN and infinities) or nests too deep."""
    if depth > MAX_CONTEXT_DEPTH:
        raise ValueError(f"nested deeper than {MAX_CONTEXT_DEPTH} levels")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain NUL characters")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, depth + 1)
            _check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)


def _client_event_type(value: EventType) -> EventType:
    # Contexts register the types Lectern records itself, in the transaction of the
    # action (enrolment, lesson completion, exam start and end). Taking them from clients
    # too would count each twice and let a learner inflate a course's completions in its
    # instructor's reports.
    if value.value in get_registry().server_events:
        raise ValueError(f"'{value.value}' is recorded by Lectern when it happens")
    return value


def _bounded_context(value: dict[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    _check_value(value, 1)
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_CONTEXT_BYTES:
        raise ValueError(f"at most {MAX_CONTEXT_BYTES} bytes of JSON")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventIn(_In):
    """One event as a client reports it. Who sent it is the session's, never the body's."""

    type: Annotated[EventType, AfterValidator(_client_event_type)]
    # Naive times are refused: a client's local clock means nothing to a UTC rollup.
    occurred_at: DateTimeText
    context: Annotated[dict[str, Any] | None, AfterValidator(_bounded_context)] = None


class EventBatchIn(_In):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class EventsAcceptedOut(BaseModel):
    accepted: int


class DailyTotalOut(BaseModel):
    day: date
    event_type: EventType
    events: int
    users: int


class DailyCourseOut(BaseModel):
    day: date
    course_id: uuid.UUID
    course_title: str
    event_type: EventType
    events: int
    users: int


class DailyReportOut(BaseModel):
    # ``from`` is a Python keyword: the attribute is ``first``, the JSON key ``from``.
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    first: date = Field(alias="from")
    last: date = Field(alias="to")
    totals: list[DailyTotalOut]
    courses: list[DailyCourseOut]

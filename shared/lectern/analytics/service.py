"""Analytics use cases: taking in a client's batch of events, and the daily report.

Plain arguments, a database session and the caller in; schemas out; no HTTP here.
Storage is the port's (``get_store()``), so events can move to ClickHouse unchanged.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from lectern.analytics.events import NewEvent
from lectern.analytics.schemas import (
    DailyCourseOut,
    DailyReportOut,
    DailyTotalOut,
    EventBatchIn,
    EventsAcceptedOut,
)
from lectern.analytics.store.factory import get_store
from lectern.catalog import access
from lectern.catalog.models import Course
from lectern.config import get_settings
from lectern.core.principal import Principal, UserRole
from lectern.errors import InvalidField, NotFound
from lectern.observability import count

# A client's clock may run a little ahead; further out is a bug, and a month the
# partition scheduler has not made yet.
MAX_FUTURE = timedelta(days=1)
DEFAULT_REPORT_DAYS = 30
MAX_REPORT_DAYS = 366  # a leap year, both ends included
UNKNOWN_COURSE = "no course you can see has this id"


def _as_uuid(value: object) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _course_ids(data: EventBatchIn) -> dict[int, uuid.UUID]:
    """The ``context.course_id`` of each event that names one, by the event's index."""
    found: dict[int, uuid.UUID] = {}
    for i, event in enumerate(data.events):
        raw = (event.context or {}).get("course_id")
        if raw is None:
            continue
        course_id = _as_uuid(raw)
        if course_id is None:
            raise InvalidField(f"events.{i}.context.course_id", "not a UUID")
        found[i] = course_id
    return found


def _visible_courses(db: Session, principal: Principal, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Of ``ids``, the courses the caller may view: one query for the whole batch."""
    if not ids:
        return set()
    courses = db.scalars(
        select(Course)
        .options(load_only(Course.id, Course.owner_id, Course.published_at))
        .where(Course.id.in_(ids))
    )
    return {c.id for c in courses if access.can_view(c, principal)}


def record_client_events(
    db: Session, principal: Principal, data: EventBatchIn, *, now: datetime | None = None
) -> EventsAcceptedOut:
    """Validate the whole batch, then write it in one statement: all of it or none.

    The sender is always the caller. A ``context.course_id`` must be a course the caller
    may view; it moves to the event's ``course_id`` column, which the per-course rollups
    group by, so nobody can pour events into a course they cannot see.
    """
    now = now or datetime.now(UTC)
    oldest = now - timedelta(days=get_settings().analytics.retention_days)
    newest = now + MAX_FUTURE
    for i, event in enumerate(data.events):
        if not oldest <= event.occurred_at <= newest:
            raise InvalidField(
                f"events.{i}.occurred_at",
                f"must lie between {oldest.isoformat()} and {newest.isoformat()}",
            )
    course_ids = _course_ids(data)
    visible = _visible_courses(db, principal, set(course_ids.values()))
    for i, course_id in course_ids.items():
        if course_id not in visible:
            raise InvalidField(f"events.{i}.context.course_id", UNKNOWN_COURSE)

    batch = []
    for i, event in enumerate(data.events):
        context: dict[str, Any] = dict(event.context or {})
        context.pop("course_id", None)
        batch.append(
            NewEvent(
                type=event.type,
                occurred_at=event.occurred_at.astimezone(UTC),
                user_id=principal.user_id,
                course_id=course_ids.get(i),
                context=context,
            )
        )
    accepted = get_store().record(db, batch)
    db.commit()
    count("EventsAccepted", accepted)
    return EventsAcceptedOut(accepted=accepted)


def report_range(first: date | None, last: date | None, *, today: date) -> tuple[date, date]:
    """The days a report covers, both included: by default the 30 days up to today."""
    last = last or today
    first = first or last - timedelta(days=DEFAULT_REPORT_DAYS - 1)
    if first > last:
        raise InvalidField("to", "must not be before 'from'")
    if (last - first).days + 1 > MAX_REPORT_DAYS:
        raise InvalidField("from", f"a report covers at most {MAX_REPORT_DAYS} days")
    return first, last


def daily_report(
    db: Session,
    principal: Principal,
    *,
    first: date | None = None,
    last: date | None = None,
    course_id: uuid.UUID | None = None,
) -> DailyReportOut:
    """Daily rollups: an admin sees the platform's totals and every course, an
    instructor only their own courses (and no totals, which span everyone's)."""
    first, last = report_range(first, last, today=datetime.now(UTC).date())
    is_admin = principal.role == UserRole.admin
    store = get_store()
    owner_id: uuid.UUID | None = None if is_admin else principal.user_id
    if course_id is not None:
        course = db.get(Course, course_id)
        # An instructor asking for someone else's course learns nothing of it.
        if course is None or not access.can_edit(course, principal):
            raise NotFound(access.COURSE_NOT_FOUND)
        # The port filters by owner: asking for this course's owner narrows the read
        # to their courses, and the one course is picked from those.
        owner_id = course.owner_id
    rows = store.daily_courses(db, first, last, owner_id)
    if course_id is not None:
        rows = [r for r in rows if r["course_id"] == course_id]
    totals = store.daily_totals(db, first, last) if is_admin else []
    return DailyReportOut(
        first=first,
        last=last,
        totals=[DailyTotalOut.model_validate(t) for t in totals],
        courses=[DailyCourseOut.model_validate(r) for r in rows],
    )

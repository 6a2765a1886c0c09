"""Daily rollups of ``events``, recomputed a whole day at a time (the Postgres adapter).

A day's three rollups (per event type, per course, per learner) are rebuilt from that
day's raw events: its rollup rows are deleted and re-inserted by ``INSERT ... SELECT ...
GROUP BY`` in the caller's transaction, so readers see the old day or the new one, never
half of it, and recomputing a day any number of times gives the same rows. The scheduled
task picks the days to recompute from what was *received* since its last run
(``days_received_between``), so an event arriving late for an old day redoes that day.

Days are UTC. Each statement reads one day's range of ``occurred_at``, which Postgres
prunes to that month's partition (and reads through the primary key, or scans the
partition when the day is a large part of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.orm import Session
from sqlalchemy.types import Date

_DAYS_RECEIVED = """
SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date AS day
FROM events
WHERE received_at <= :until {since}
ORDER BY day
"""

_DAY_PARAMS = (
    bindparam("day", type_=Date),
    bindparam("start", type_=TIMESTAMP(timezone=True)),
    bindparam("end", type_=TIMESTAMP(timezone=True)),
)

# Deleting a day's rows first (rather than upserting) also removes groups that no longer
# exist, e.g. after a learner's events were erased with their account.
_DELETES = [
    text(f"DELETE FROM {table} WHERE day = :day").bindparams(_DAY_PARAMS[0])  # noqa: S608 - fixed names
    for table in ("daily_event_counts", "daily_course_activity", "daily_user_activity")
]

# Each reads one day's events, from its month's partition only.
_INSERTS = [
    text(
        "INSERT INTO daily_user_activity (day, user_id, event_type, events) "
        "SELECT :day, user_id, type, count(*) FROM events "
        "WHERE occurred_at >= :start AND occurred_at < :end AND user_id IS NOT NULL "
        "GROUP BY user_id, type"
    ).bindparams(*_DAY_PARAMS),
    text(
        "INSERT INTO daily_course_activity (day, course_id, event_type, events, users) "
        "SELECT :day, course_id, type, count(*), count(DISTINCT user_id) FROM events "
        "WHERE occurred_at >= :start AND occurred_at < :end AND course_id IS NOT NULL "
        "GROUP BY course_id, type"
    ).bindparams(*_DAY_PARAMS),
    # The distinct learners of a type are the day's per-learner rows of that type, written
    # just above: counting those spares a sort of the whole day for count(DISTINCT).
    text(
        "INSERT INTO daily_event_counts (day, event_type, events, users) "
        "SELECT :day, t.type, t.events, coalesce(u.users, 0) "
        "FROM (SELECT type, count(*) AS events FROM events "
        "WHERE occurred_at >= :start AND occurred_at < :end GROUP BY type) t "
        "LEFT JOIN (SELECT event_type, count(*) AS users FROM daily_user_activity "
        "WHERE day = :day GROUP BY event_type) u ON u.event_type = t.type"
    ).bindparams(*_DAY_PARAMS),
]


def days_received_between(db: Session, since: datetime | None, until: datetime) -> list[date]:
    """The UTC days (of ``occurred_at``) of the events received in (since, until]; all
    received up to ``until`` when ``since`` is None. Reads ``ix_events_received_at``."""
    params: dict[str, object] = {"until": until}
    since_clause = ""
    if since is not None:
        since_clause = "AND received_at > :since"
        params["since"] = since
    statement = text(_DAYS_RECEIVED.format(since=since_clause))
    return list(db.scalars(statement, params))


def rollup_day(db: Session, day: date) -> int:
    """Rebuild one day's rollups from its events; returns the rollup rows written."""
    start = datetime.combine(day, time.min, UTC)
    params = {"day": day, "start": start, "end": start + timedelta(days=1)}
    for delete in _DELETES:
        db.execute(delete, {"day": day})
    written = 0
    for insert in _INSERTS:
        result = db.execute(insert, params)
        written += int(getattr(result, "rowcount", 0) or 0)
    return written


def rollup_days(db: Session, days: Sequence[date]) -> int:
    """Rebuild the rollups of ``days`` in the caller's transaction (not committed):
    rerunning a day gives the same numbers. Returns the rollup rows written."""
    return sum(rollup_day(db, day) for day in sorted(set(days)))

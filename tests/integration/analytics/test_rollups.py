"""Daily rollups, against the real Postgres: they equal a GROUP BY over the raw events,
a rerun changes nothing, and a late event redoes its own day only."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

TABLES = {
    "daily_event_counts": ("day", "event_type", "events", "users"),
    "daily_course_activity": ("day", "course_id", "event_type", "events", "users"),
    "daily_user_activity": ("day", "user_id", "event_type", "events"),
}

# The same numbers, straight from the events: what every rollup must equal.
DIRECT = {
    "daily_event_counts": (
        "SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, type::text, count(*), "
        "count(DISTINCT user_id) FROM events WHERE (occurred_at AT TIME ZONE 'UTC')::date "
        "= ANY(:days) GROUP BY 1, 2"
    ),
    "daily_course_activity": (
        "SELECT (occurred_at AT TIME ZONE 'UTC')::date, course_id, type::text, count(*), "
        "count(DISTINCT user_id) FROM events WHERE (occurred_at AT TIME ZONE 'UTC')::date "
        "= ANY(:days) AND course_id IS NOT NULL GROUP BY 1, 2, 3"
    ),
    "daily_user_activity": (
        "SELECT (occurred_at AT TIME ZONE 'UTC')::date, user_id, type::text, count(*) "
        "FROM events WHERE (occurred_at AT TIME ZONE 'UTC')::date = ANY(:days) "
        "AND user_id IS NOT NULL GROUP BY 1, 2, 3"
    ),
}


def _days_ago(n: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=n)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _events(days: list[date], users: list[uuid.UUID], courses: list[uuid.UUID], n: int, seed=1):
    """``n`` events spread over ``days``; some anonymous, some outside any course."""
    from lectern.analytics.events import NewEvent
    from lectern.analytics.models import EventType

    rng = random.Random(seed)
    types = list(EventType)
    return [
        NewEvent(
            type=rng.choice(types[:4]),
            occurred_at=_at(rng.choice(days), rng.randrange(24), rng.randrange(60)),
            user_id=rng.choice([*users, None]),
            course_id=rng.choice([*courses, None]),
        )
        for _ in range(n)
    ]


def _record(db, events) -> None:
    from lectern.analytics.store.factory import get_store

    get_store().record(db, events)
    db.commit()


def _rollup_rows(db, days: list[date]) -> dict[str, set[tuple]]:
    rows = {}
    for table, columns in TABLES.items():
        cols = ", ".join(c if c != "event_type" else "event_type::text" for c in columns)
        sql = f"SELECT {cols} FROM {table} WHERE day = ANY(:days)"  # noqa: S608 - fixed names
        rows[table] = {tuple(r) for r in db.execute(text(sql), {"days": days})}
    return rows


def _direct_rows(db, days: list[date]) -> dict[str, set[tuple]]:
    return {
        table: {tuple(r) for r in db.execute(text(sql), {"days": days})}
        for table, sql in DIRECT.items()
    }


def test_rollups_equal_a_direct_group_by_and_a_rerun_changes_nothing(db):
    from lectern.analytics.store.factory import get_store

    days = [_days_ago(3), _days_ago(2)]
    users = [uuid.uuid4() for _ in range(6)]
    courses = [uuid.uuid4() for _ in range(3)]
    _record(db, _events(days, users, courses, 400))

    written = get_store().rollup_days(db, days)
    db.commit()
    first = _rollup_rows(db, days)
    assert first == _direct_rows(db, days)
    assert written == sum(len(rows) for rows in first.values())
    # Anonymous events count in the totals, never as a learner; course-less ones only
    # in the totals and the learner's history.
    assert all(row[1] is not None for row in first["daily_user_activity"])
    assert all(row[1] is not None for row in first["daily_course_activity"])
    mine = {r for r in first["daily_course_activity"] if r[1] in courses}
    assert mine and all(r[4] <= len(users) for r in mine)

    assert get_store().rollup_days(db, days) == written
    db.commit()
    assert _rollup_rows(db, days) == first


def test_known_numbers_for_one_course(db):
    from lectern.analytics.events import NewEvent
    from lectern.analytics.models import EventType
    from lectern.analytics.store.factory import get_store

    day = _days_ago(4)
    course = uuid.uuid4()
    ann, bob = uuid.uuid4(), uuid.uuid4()
    viewed, completed = EventType.lesson_viewed, EventType.lesson_completed
    _record(
        db,
        [
            NewEvent(viewed, _at(day, 0, 0), ann, course),
            NewEvent(viewed, _at(day, 12), ann, course),
            NewEvent(viewed, _at(day, 23, 59), bob, course),
            NewEvent(viewed, _at(day, 9), None, course),  # anonymous
            NewEvent(completed, _at(day, 10), bob, course),
            # The next day in UTC, however close: not this day's.
            NewEvent(viewed, _at(day + timedelta(days=1), 0, 0), ann, course),
        ],
    )
    get_store().rollup_days(db, [day])
    db.commit()
    rows = db.execute(
        text(
            "SELECT event_type::text, events, users FROM daily_course_activity "
            "WHERE day = :day AND course_id = :c ORDER BY 1"
        ),
        {"day": day, "c": course},
    ).all()
    assert [tuple(r) for r in rows] == [("lesson_completed", 1, 1), ("lesson_viewed", 4, 2)]
    ann_rows = db.execute(
        text(
            "SELECT event_type::text, events FROM daily_user_activity "
            "WHERE day = :day AND user_id = :u"
        ),
        {"day": day, "u": ann},
    ).all()
    assert [tuple(r) for r in ann_rows] == [("lesson_viewed", 2)]


def test_days_received_between_reads_arrival_not_occurrence(db):
    from lectern.analytics.events import NewEvent
    from lectern.analytics.models import EventType
    from lectern.analytics.store.factory import get_store

    marker = uuid.uuid4()
    old_day, recent_day = _days_ago(23), _days_ago(1)
    _record(
        db,
        [
            NewEvent(EventType.lesson_viewed, _at(day, hour), marker)
            for day in (old_day, recent_day)
            for hour in (1, 13)
        ],
    )
    # Say the old day's events arrived two hours ago and the recent day's just now.
    db.execute(
        text(
            "UPDATE events SET received_at = now() - interval '2 hours' "
            "WHERE user_id = :u AND occurred_at < :edge"
        ),
        {"u": marker, "edge": _at(old_day + timedelta(days=1), 0)},
    )
    db.commit()
    store = get_store()
    now = db.scalar(text("SELECT now()"))
    hour_ago = now - timedelta(hours=1)
    last_hour = store.days_received_between(db, hour_ago, now)
    assert recent_day in last_hour and old_day not in last_hour
    window = store.days_received_between(db, now - timedelta(hours=3), hour_ago)
    assert old_day in window and recent_day not in window
    assert old_day in store.days_received_between(db, None, now)
    # (since, until]: nothing received after ``until`` counts.
    assert store.days_received_between(db, now, now - timedelta(seconds=1)) == []


def test_a_late_event_changes_only_its_own_day(db):
    from lectern.analytics.events import NewEvent
    from lectern.analytics.models import EventType
    from lectern.analytics.store.factory import get_store

    days = [_days_ago(6), _days_ago(5)]
    users = [uuid.uuid4() for _ in range(4)]
    course = uuid.uuid4()
    _record(db, _events(days, users, [course], 120, seed=2))
    store = get_store()
    store.rollup_days(db, days)
    db.commit()
    before = _rollup_rows(db, days)
    since = db.scalar(text("SELECT clock_timestamp()"))
    db.commit()  # the late event arrives in a transaction of its own, after ``since``

    late = NewEvent(EventType.exam_started, _at(days[0], 15), users[0], course)
    _record(db, [late])
    now = db.scalar(text("SELECT now()"))
    assert store.days_received_between(db, since, now) == [days[0]]
    store.rollup_days(db, store.days_received_between(db, since, now))
    db.commit()

    after = _rollup_rows(db, days)
    assert after == _direct_rows(db, days)
    for table in TABLES:
        untouched = {r for r in before[table] if r[0] == days[1]}
        assert {r for r in after[table] if r[0] == days[1]} == untouched
    course_rows = {r[2]: r[3] for r in after["daily_course_activity"] if r[:2] == (days[0], course)}
    before_rows = {
        r[2]: r[3] for r in before["daily_course_activity"] if r[:2] == (days[0], course)
    }
    assert course_rows["exam_started"] == before_rows.get("exam_started", 0) + 1


def test_a_day_whose_events_are_gone_loses_its_rows(db):
    """Recomputing deletes first: a group with no events left (an erased learner's) goes."""
    from lectern.analytics.store.factory import get_store

    day = _days_ago(7)
    gone = uuid.uuid4()
    _record(db, _events([day], [gone], [], 5, seed=3))
    get_store().rollup_days(db, [day])
    db.commit()
    assert any(r[1] == gone for r in _rollup_rows(db, [day])["daily_user_activity"])
    db.execute(text("DELETE FROM events WHERE user_id = :u"), {"u": gone})
    get_store().rollup_days(db, [day])
    db.commit()
    assert not any(r[1] == gone for r in _rollup_rows(db, [day])["daily_user_activity"])
    assert _rollup_rows(db, [day]) == _direct_rows(db, [day])

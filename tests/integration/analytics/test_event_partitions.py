"""Events land in monthly partitions; a missing month is made on demand; retention
drops whole months."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text


def _event(when: datetime, **kw):
    from lectern.analytics.events import NewEvent
    from lectern.analytics.models import EventType

    return NewEvent(type=EventType.lesson_viewed, occurred_at=when, **kw)


def test_a_batch_is_one_statement_and_lands_in_its_months_partitions(db):
    from lectern.analytics.events import record_events
    from lectern.analytics.models import Event
    from tests.factories import sql_statements

    now = datetime.now(UTC)
    marker = uuid.uuid4()
    batch = [_event(now, user_id=marker, context={"i": i}) for i in range(500)]
    with sql_statements() as sent:
        assert record_events(db, batch) == 500
    assert len([s for s in sent if s.lstrip().upper().startswith("INSERT")]) == 1
    db.commit()
    partition = f"events_p{now:%Y%m}"
    count = db.scalar(text(f"SELECT count(*) FROM {partition} WHERE user_id = :u"), {"u": marker})  # noqa: S608 - a name made from a date
    assert count == 500
    contexts = db.scalars(select(Event.context).where(Event.user_id == marker)).all()
    assert sorted(c["i"] for c in contexts) == list(range(500))


def test_a_month_without_a_partition_gets_one(db):
    from lectern.analytics.events import record_events
    from lectern.analytics.partitions import list_partitions

    future = datetime(2031, 7, 15, 12, tzinfo=UTC)
    names = {p.name for p in list_partitions(db.connection())}
    assert "events_p203107" not in names
    record_events(db, [_event(future)])
    db.commit()
    assert "events_p203107" in {p.name for p in list_partitions(db.connection())}


def test_retention_drops_whole_months_only(db):
    from lectern.analytics.events import record_events
    from lectern.analytics.models import Event
    from lectern.analytics.partitions import (
        drop_partitions_before,
        ensure_partitions,
        list_partitions,
    )

    conn = db.connection()
    ensure_partitions(conn, date(2020, 1, 1), date(2020, 2, 1))
    record_events(
        db,
        [
            _event(datetime(2020, 1, 31, 23, 59, tzinfo=UTC)),
            _event(datetime(2020, 2, 1, tzinfo=UTC)),
        ],
    )
    dropped = drop_partitions_before(conn, datetime(2020, 2, 15, tzinfo=UTC))
    assert dropped == ["events_p202001"]
    names = {p.name for p in list_partitions(conn)}
    assert "events_p202002" in names and "events_p202001" not in names
    remaining = db.scalar(
        select(func.count()).where(Event.occurred_at < datetime(2020, 3, 1, tzinfo=UTC))
    )
    assert remaining == 1
    db.rollback()

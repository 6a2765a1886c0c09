"""The outbox relay: delivers the rows of every registered relay topic (mail ...) after
the transaction that wrote them committed.

A rolled-back write left no row, so it delivers nothing. Each batch of a topic:

1. **lease**: due rows are claimed in a short transaction of their own
   (``FOR UPDATE SKIP LOCKED``, so two relays never claim one row): ``available_at``
   moves a lease ahead and ``attempts`` goes up, and that is committed before anything
   is delivered;
2. **deliver**: each row in a transaction of its own, which deletes the row and commits
   right after its delivery. A crash between a delivery and that commit leaves the row
   leased: it is delivered once more when the lease ends, and only that one row. A crash
   anywhere else loses nothing either: leased rows come back when their lease ends;
3. **fail**: a delivery raising ``DependencyUnavailable`` (the mail service is down)
   puts its row back with a backoff and ends the topic's run, giving the rest of the
   batch back at once (their attempt returned). Any other error fails that row alone,
   backing off, with its reason in ``last_error``. Rows that failed ``MAX_ATTEMPTS``
   times are no longer leased: they are counted as poisoned and deleted after two weeks
   by the ``outbox`` upkeep task.

The lease outlasts the worker's timeout (see template.yaml), so a live relay's rows are
never leased again under it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.models import OutboxEntry
from lectern.core.outbox import MAX_ATTEMPTS
from lectern.errors import DependencyUnavailable
from lectern.observability import count, get_logger

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600

Clock = Callable[[], datetime]
Deliver = Callable[[Session, str, Any], None]


def utcnow() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """The wait after failure number ``attempts``: 30 s, 1 min, 2 min ... up to an hour."""
    exponent = min(max(attempts - 1, 0), 20)
    return timedelta(seconds=min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**exponent))


@dataclass
class RelayReport:
    topic: str
    batches: int = 0
    leased: int = 0
    delivered: int = 0
    failed: int = 0
    released: int = 0
    poisoned: int = 0
    stopped: str = "empty"
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Leased:
    id: int
    entity_type: str
    entity_id: Any
    attempts: int  # counting this one


_LEASE = text(
    "UPDATE outbox SET available_at = :until, attempts = attempts + 1"
    " WHERE id IN (SELECT id FROM outbox"
    "  WHERE topic = :topic AND available_at <= :now AND attempts < :max"
    "  ORDER BY available_at, id LIMIT :size FOR UPDATE SKIP LOCKED)"
    " RETURNING id, entity_type, entity_id, attempts"
)


def _lease(
    sessions: Callable[[], Session], topic: str, now: datetime, size: int, lease: timedelta
) -> list[_Leased]:
    with sessions() as db:
        rows = db.execute(
            _LEASE,
            {"topic": topic, "now": now, "until": now + lease, "max": MAX_ATTEMPTS, "size": size},
        ).all()
        db.commit()
    # Oldest first, as they were claimed (RETURNING keeps no order).
    leased = [_Leased(r.id, r.entity_type, r.entity_id, r.attempts) for r in rows]
    return sorted(leased, key=lambda row: row.id)


def _fail(sessions: Callable[[], Session], row: _Leased, now: datetime, reason: str) -> bool:
    """Back the row off; whether it is now poisoned."""
    with sessions() as db:
        db.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == row.id)
            .values(available_at=now + backoff(row.attempts), last_error=reason[:1000])
        )
        db.commit()
    return row.attempts >= MAX_ATTEMPTS


def _release(sessions: Callable[[], Session], rows: list[_Leased], now: datetime) -> None:
    """Give leased rows back untried: due at once, their attempt returned."""
    if not rows:
        return
    with sessions() as db:
        db.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(bindparam("ids", expanding=True)))
            .values(available_at=now, attempts=OutboxEntry.attempts - 1),
            {"ids": [r.id for r in rows]},
        )
        db.commit()


def _deliver_one(sessions: Callable[[], Session], deliver: Deliver, row: _Leased) -> None:
    with sessions() as db:
        deliver(db, row.entity_type, row.entity_id)
        # The row goes in the delivery's own transaction, committed right after it.
        db.execute(delete(OutboxEntry).where(OutboxEntry.id == row.id))
        db.commit()


def _deliver_batch(
    sessions: Callable[[], Session],
    deliver: Deliver,
    rows: list[_Leased],
    report: RelayReport,
    *,
    clock: Clock,
    deadline: float | None,
) -> None:
    """Deliver leased rows one by one; what is left when the outside system is down or
    the deadline passed goes back at once."""
    pending = list(rows)
    while pending:
        if deadline is not None and time.monotonic() >= deadline:
            report.stopped = "deadline"
            break
        row = pending.pop(0)
        try:
            _deliver_one(sessions, deliver, row)
        except DependencyUnavailable as exc:
            report.stopped = "unavailable"
            report.failed += 1
            report.poisoned += _fail(sessions, row, clock(), exc.reason)
            report.errors.append(exc.reason)
            break
        except Exception as exc:
            # One bad row fails alone; the others are still delivered.
            reason = f"{type(exc).__name__}: {exc}"
            get_logger().exception("relay delivery failed", topic=report.topic, row=row.id)
            report.failed += 1
            report.poisoned += _fail(sessions, row, clock(), reason)
            report.errors.append(reason[:200])
        else:
            report.delivered += 1
    _release(sessions, pending, clock())
    report.released += len(pending)


def drain(
    topic: str,
    *,
    deliver: Deliver | None = None,
    sessionmaker: Callable[[], Session] | None = None,
    clock: Clock = utcnow,
    deadline: float | None = None,
    batch_size: int | None = None,
    max_batches: int = 1000,
) -> RelayReport:
    """Deliver due rows of ``topic`` until none is left, its outside system is down, or
    ``deadline`` (a ``time.monotonic()`` value) passes."""
    from lectern.core.registry import get_registry, resolve

    if deliver is None:
        deliver = resolve(get_registry().relays[topic].deliver)
    if sessionmaker is None:
        from lectern.db.engine import get_sessionmaker

        sessionmaker = get_sessionmaker()
    settings = get_settings().outbox
    size = batch_size or settings.relay_batch
    lease = timedelta(seconds=settings.relay_lease_seconds)
    report = RelayReport(topic=topic)
    while report.stopped == "empty":
        if report.batches >= max_batches:
            report.stopped = "max_batches"
            break
        rows = _lease(sessionmaker, topic, clock(), size, lease)
        if not rows:
            break
        report.batches += 1
        report.leased += len(rows)
        _deliver_batch(sessionmaker, deliver, rows, report, clock=clock, deadline=deadline)
    report.errors = report.errors[:5]
    _record(report)
    return report


def _record(report: RelayReport) -> None:
    for name, value in (
        ("Delivered", report.delivered),
        ("Failed", report.failed),
        ("Poisoned", report.poisoned),
    ):
        if value:
            count(f"OutboxRelay{name}", value)
    if report.failed:
        get_logger().warning(
            "relay rows kept for a retry",
            topic=report.topic,
            failed=report.failed,
            poisoned=report.poisoned,
            errors=report.errors,
        )


def backlog(db: Session, topics: list[str], now: datetime) -> dict[str, dict[str, float]]:
    """Rows left per relay topic, and the age of the oldest: what an alarm watches."""
    rows = db.execute(
        select(OutboxEntry.topic, func.count(), func.min(OutboxEntry.created_at))
        .where(OutboxEntry.topic.in_(topics))
        .group_by(OutboxEntry.topic)
    )
    found = {
        topic: {"rows": n, "oldest_seconds": max(0.0, (now - oldest).total_seconds())}
        for topic, n, oldest in rows
    }
    return {t: found.get(t, {"rows": 0, "oldest_seconds": 0.0}) for t in topics}


def run(
    *,
    sessionmaker: Callable[[], Session] | None = None,
    clock: Clock = utcnow,
    deadline: float | None = None,
) -> dict[str, Any]:
    """One scheduled run: drain every registered relay topic, then report the backlog."""
    from lectern.core.registry import get_registry

    if sessionmaker is None:
        from lectern.db.engine import get_sessionmaker

        sessionmaker = get_sessionmaker()
    topics = sorted(get_registry().relays)
    result: dict[str, Any] = {
        topic: drain(topic, sessionmaker=sessionmaker, clock=clock, deadline=deadline).as_dict()
        for topic in topics
    }
    with sessionmaker() as db:
        result["backlog"] = backlog(db, topics, clock())
    return result

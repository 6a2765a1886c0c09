"""The outbox drain: carries committed changes to the search index and the ingest queue.

Each batch is one transaction:

1. claim due rows of one topic, oldest first, ``FOR UPDATE SKIP LOCKED`` (a concurrent
   drain skips them, so no row is pushed by two drains);
2. take a transaction-scoped advisory lock per object (and, for a course, per lesson of
   it). An object another drain holds is left for later: without this, two drains with
   rows for the same object could push an older state after a newer one;
3. read each object's current state (gone → delete from the index; an object with
   registered dependents → its entry and theirs: a course's lessons carry its
   publication and owner), push, and delete the rows;
4. on failure keep the rows: ``attempts + 1``, ``available_at`` backed off (capped),
   ``last_error``. A refused entry fails its own rows only; an unreachable index fails
   the batch and ends the run. Rows at ``MAX_ATTEMPTS`` or more are counted as poisoned.

Topic ``embed`` relays ``{"type": "process_lesson", "lesson_id"}`` to the ingest queue.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, Text, bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from lectern.catalog.search import existing_lessons
from lectern.config import get_settings
from lectern.core.models import OutboxEntry
from lectern.core.outbox import MAX_ATTEMPTS, Topic
from lectern.errors import DependencyUnavailable
from lectern.observability import count, get_logger, get_metrics
from lectern.search import entries
from lectern.search.factory import get_index
from lectern.search.models import SearchSynonym
from lectern.search.port import Key, SearchIndex

BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 900
# Advisory lock keys are hashed from this prefix and the object's key.
LOCK_PREFIX = "lectern.search:"

Clock = Callable[[], datetime]
IndexFactory = Callable[[Session], SearchIndex]
Sender = Callable[[list[dict[str, Any]]], None]


def utcnow() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """The wait before retry number ``attempts + 1``: 5 s, 10 s, 20 s ... up to 15 min."""
    return timedelta(
        seconds=min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** min(attempts, 20))
    )


@dataclass
class DrainReport:
    topic: str
    batches: int = 0
    claimed: int = 0
    done: int = 0
    failed: int = 0
    deferred: int = 0
    poisoned: int = 0
    upserted: int = 0
    deleted: int = 0
    relayed: int = 0
    stopped: str = "empty"
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Row:
    id: int
    key: Key
    attempts: int


@dataclass
class _Outcome:
    done: list[_Row] = field(default_factory=list)
    failed: dict[int, tuple[_Row, str]] = field(default_factory=dict)
    deferred: list[_Row] = field(default_factory=list)
    upserted: int = 0
    deleted: int = 0
    relayed: int = 0
    unavailable: str | None = None

    def fail(self, rows: Iterable[_Row], reason: str) -> None:
        for row in rows:
            self.failed[row.id] = (row, reason)


# -- claiming and locking ------------------------------------------------------------------


def _claim(db: Session, topic: str, now: datetime, size: int, skip: set[int]) -> list[_Row]:
    stmt = (
        select(OutboxEntry.id, OutboxEntry.entity_type, OutboxEntry.entity_id, OutboxEntry.attempts)
        .where(OutboxEntry.topic == topic, OutboxEntry.available_at <= now)
        .order_by(OutboxEntry.available_at, OutboxEntry.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    if skip:
        stmt = stmt.where(OutboxEntry.id.not_in(skip))
    return [_Row(r.id, (r.entity_type, r.entity_id), r.attempts) for r in db.execute(stmt)]


_TRY_LOCKS = text(
    "SELECT k FROM unnest(:names) AS k"
    " WHERE pg_try_advisory_xact_lock(hashtextextended(:prefix || k, 0))"
).bindparams(bindparam("names", type_=ARRAY(Text)))


def _try_lock(db: Session, keys: Iterable[Key]) -> set[Key]:
    """The keys this transaction now holds (never waits: a held key is just not returned)."""
    names = {f"{t}:{i}": (t, i) for t, i in keys}
    if not names:
        return set()
    held = db.scalars(_TRY_LOCKS, {"names": sorted(names), "prefix": LOCK_PREFIX})
    return {names[name] for name in held}


def _group(rows: Sequence[_Row]) -> dict[Key, list[_Row]]:
    by_key: defaultdict[Key, list[_Row]] = defaultdict(list)
    for row in rows:
        by_key[row.key].append(row)
    return by_key


# -- the two topics ------------------------------------------------------------------------


def _expand_dependents(
    db: Session, keys: set[Key]
) -> tuple[set[Key], set[Key], dict[Key, list[Key]]]:
    """(keys to push, keys deferred because one of their dependents is busy, and each
    key's dependents: a course's lessons, whose entries carry its owner and publication)."""
    of = entries.dependents(db, keys)
    wanted = {d for found in of.values() for d in found}
    held = _try_lock(db, wanted - keys) | (wanted & keys)
    busy = {key for key, found in of.items() if any(d not in held for d in found)}
    added = {d for key, found in of.items() if key not in busy for d in found}
    return (keys - busy) | added, busy, of


def _push_search(db: Session, index: SearchIndex, rows: list[_Row]) -> _Outcome:
    outcome = _Outcome()
    by_key = _group(rows)
    held = _try_lock(db, by_key)
    push, busy, of = _expand_dependents(db, held)
    for key, key_rows in by_key.items():
        if key not in held or key in busy:
            outcome.deferred += key_rows
    work = {k: v for k, v in by_key.items() if k in held and k not in busy}
    if not work:
        return outcome
    docs, gone = entries.load(db, push)
    try:
        with db.begin_nested():
            refused = index.upsert(docs)
            index.delete(gone)
    except DependencyUnavailable as exc:
        outcome.unavailable = exc.reason
        outcome.fail((r for key_rows in work.values() for r in key_rows), exc.reason)
        return outcome
    outcome.upserted = len(docs) - len(refused)
    outcome.deleted = len(gone)
    for key, key_rows in work.items():
        reason = refused.get(key)
        if reason is None:
            # An object's row is done once every entry it stands for is in.
            reason = next((refused[d] for d in of.get(key, ()) if d in refused), None)
        if reason is None:
            outcome.done += key_rows
        else:
            outcome.fail(key_rows, reason)
    return outcome


def _send_to_ingest_queue(bodies: list[dict[str, Any]]) -> None:
    # The queue client is made at the first message, not for a drain that sends none.
    from lectern.queue.factory import get_queue

    get_queue().send(bodies)


def _relay_embed(db: Session, send: Sender, rows: list[_Row]) -> _Outcome:
    outcome = _Outcome()
    by_key = _group(rows)
    lesson_ids = sorted(i for t, i in by_key if t == "lesson")
    # A lesson deleted since has no chunks left to make (they went with it).
    existing = existing_lessons(db, lesson_ids)
    bodies = [{"type": "process_lesson", "lesson_id": str(i)} for i in lesson_ids if i in existing]
    try:
        if bodies:
            send(bodies)
    except DependencyUnavailable as exc:
        outcome.unavailable = exc.reason
        outcome.fail(rows, exc.reason)
        return outcome
    outcome.relayed = len(bodies)
    outcome.done += rows
    return outcome


# -- one batch, and the run ----------------------------------------------------------------


def _settle(db: Session, outcome: _Outcome, now: datetime) -> int:
    """Delete the done rows and back off the failed ones; the number now poisoned."""
    if outcome.done:
        db.execute(delete(OutboxEntry).where(OutboxEntry.id.in_([r.id for r in outcome.done])))
    poisoned = 0
    if outcome.failed:
        changes = []
        for row, reason in outcome.failed.values():
            attempts = row.attempts + 1
            poisoned += attempts >= MAX_ATTEMPTS
            changes.append(
                {
                    "id": row.id,
                    "attempts": attempts,
                    "available_at": now + backoff(row.attempts),
                    "last_error": reason[:1000],
                }
            )
        db.execute(update(OutboxEntry), changes)
    return poisoned


def drain(
    topic: Topic,
    *,
    index_factory: IndexFactory = get_index,
    send: Sender | None = None,
    batch_size: int | None = None,
    clock: Clock = utcnow,
    deadline: float | None = None,
    max_batches: int = 10_000,
    sessionmaker: Callable[[], Session] | None = None,
) -> DrainReport:
    """Drain due rows of ``topic`` until none is left, the index is down, or ``deadline``
    (a ``time.monotonic()`` value) passes."""
    if sessionmaker is None:
        from lectern.db.engine import get_sessionmaker

        sessionmaker = get_sessionmaker()
    if send is None:
        send = _send_to_ingest_queue
    size = batch_size or get_settings().search.sync_batch
    report = DrainReport(topic=topic)
    skip: set[int] = set()
    while True:
        if report.batches >= max_batches:
            report.stopped = "max_batches"
            break
        if deadline is not None and time.monotonic() >= deadline:
            report.stopped = "deadline"
            break
        now = clock()
        with sessionmaker() as db:
            rows = _claim(db, topic, now, size, skip)
            if not rows:
                db.rollback()
                break
            report.batches += 1
            report.claimed += len(rows)
            if topic == "search":
                outcome = _push_search(db, index_factory(db), rows)
            else:
                outcome = _relay_embed(db, send, rows)
            poisoned = _settle(db, outcome, now)
            db.commit()
        skip.update(r.id for r in outcome.deferred)
        report.done += len(outcome.done)
        report.failed += len(outcome.failed)
        report.deferred += len(outcome.deferred)
        report.poisoned += poisoned
        report.upserted += outcome.upserted
        report.deleted += outcome.deleted
        report.relayed += outcome.relayed
        report.errors += sorted({reason for _row, reason in outcome.failed.values()})[:5]
        if outcome.unavailable is not None:
            # The index (or queue) is down: the rest of the backlog waits for the next run.
            report.stopped = "unavailable"
            break
    _record(report)
    return report


def _record(report: DrainReport) -> None:
    prefix = "SearchSync" if report.topic == "search" else "EmbedRelay"
    for name, value in (
        ("Done", report.done),
        ("Failed", report.failed),
        ("Poisoned", report.poisoned),
    ):
        if value:
            count(f"{prefix}{name}", value)
    if report.failed:
        get_logger().warning(
            "outbox rows kept for a retry",
            topic=report.topic,
            failed=report.failed,
            poisoned=report.poisoned,
            errors=report.errors[:5],
        )


def synonyms(db: Session) -> dict[str, str]:
    return {t: r for t, r in db.execute(select(SearchSynonym.term, SearchSynonym.replacement))}


def backlog(db: Session, now: datetime) -> dict[str, dict[str, float]]:
    """Rows left per topic, and the age of the oldest: what an alarm watches."""
    rows = db.execute(
        select(OutboxEntry.topic, func.count(), func.min(OutboxEntry.created_at)).group_by(
            OutboxEntry.topic
        )
    )
    return {
        topic: {"rows": n, "oldest_seconds": max(0.0, (now - oldest).total_seconds())}
        for topic, n, oldest in rows
    }


def run(
    *,
    index_factory: IndexFactory = get_index,
    send: Sender | None = None,
    clock: Clock = utcnow,
    deadline: float | None = None,
    sessionmaker: Callable[[], Session] | None = None,
) -> dict[str, Any]:
    """One scheduled run: make sure the index has its schema, then drain both topics."""
    if sessionmaker is None:
        from lectern.db.engine import get_sessionmaker

        sessionmaker = get_sessionmaker()
    result: dict[str, Any] = {}
    try:
        with sessionmaker() as db:
            index_factory(db).ensure_schema(synonyms(db))
            db.commit()
    except DependencyUnavailable as exc:
        # Nothing is claimed: the rows wait, untouched, for a run that reaches the index.
        result["search"] = DrainReport(
            topic="search", stopped="unavailable", errors=[exc.reason]
        ).as_dict()
    else:
        result["search"] = drain(
            "search",
            index_factory=index_factory,
            clock=clock,
            deadline=deadline,
            sessionmaker=sessionmaker,
        ).as_dict()
    result["embed"] = drain(
        "embed", send=send, clock=clock, deadline=deadline, sessionmaker=sessionmaker
    ).as_dict()
    with sessionmaker() as db:
        result["backlog"] = backlog(db, clock())
    _record_backlog(result["backlog"])
    return result


def _record_backlog(state: dict[str, dict[str, float]]) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = get_metrics()
    for topic in ("search", "embed"):
        prefix = "SearchOutbox" if topic == "search" else "EmbedOutbox"
        current = state.get(topic, {"rows": 0, "oldest_seconds": 0.0})
        metrics.add_metric(name=f"{prefix}Rows", unit=MetricUnit.Count, value=current["rows"])
        metrics.add_metric(
            name=f"{prefix}OldestSeconds",
            unit=MetricUnit.Seconds,
            value=current["oldest_seconds"],
        )

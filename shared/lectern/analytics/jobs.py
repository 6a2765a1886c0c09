"""The scheduled upkeep behind the ``aggregate`` function: rollups and clean-up tasks.

Each task is a plain function ``(db, run) -> (watermark, details)`` registered in
``TASKS``; ``run_tasks`` runs them one after another, each in its own transaction:

- ``pg_try_advisory_xact_lock`` per task, so two overlapping runs (a slow run and the
  next schedule, a manual run) never do one task twice: the second sees "busy" and skips;
- ``job_state`` gets ``last_started_at``, then, with the work, the new ``watermark``,
  ``details``, ``last_status = "ok"`` and ``last_finished_at``, committed together;
- a task that raises is rolled back whole (its watermark stays where it was), recorded
  as ``failed`` with its error's type and message in a separate transaction, logged,
  and the next task runs. Every task is idempotent, so the next run simply redoes it.

Watermarks are read on the database's clock, the one that stamps ``received_at`` and
``updated_at``. Those stamps are a transaction's *start* time (``now()``), so a row can
commit a little after a later-starting one: tasks that read "what changed since the
watermark" stop ``IN_FLIGHT_LAG`` short of now, and what commits later than that is
picked up by the next run.

Tasks, in the order they run (the names are ``job_state`` keys):

- ``partitions``: event partitions from this month to ``analytics_partitions_ahead``
  months ahead (``record_events`` also makes a missing one on demand).
- ``retention``: drops whole monthly partitions older than ``analytics_retention_days``;
  the rollups of those days stay.
- ``rollups``: recomputes the daily rollups of every day that received events since the
  watermark (see ``lectern.analytics.rollups``).
- ``question_stats``: recounts ``question_stats`` from ``exam_answers`` for the
  questions answered since the watermark, repairing any drift.
- ``leaderboards``: re-publishes changed profiles' XP to the sorted sets; removes
  deleted learners.
- ``shares``: deletes share links expired or revoked more than
  ``share_cleanup_after_days`` ago.
- ``sessions``: prunes expired members from the per-user session indexes in Upstash.
- ``uploads``: deletes documents whose upload never completed (row and object) after
  ``abandoned_upload_hours``.

- ``outbox``: deletes outbox rows that failed ``MAX_ATTEMPTS`` times and are older than
  ``outbox_poison_keep_days`` (``search_sync`` keeps them, alarmed, for someone to look at;
  the object's next change queues it afresh, and ``{"reindex": true}`` repairs the rest).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from lectern.config import database_url, get_settings
from lectern.core.models import JobState
from lectern.db.engine import connect_args
from lectern.observability import count, get_logger

logger = get_logger()

# How far behind now the "changed since" tasks stop: a row stamped with its
# transaction's start time is visible once that transaction commits; requests'
# transactions last seconds (statements time out at 5 s), so a minute is ample.
IN_FLIGHT_LAG = timedelta(minutes=1)
# DDL on ``events`` (make or drop a partition) queues every insert behind it while it
# waits for its lock: give up quickly instead, and try again next run.
DDL_LOCK_TIMEOUT_MS = 5000
# Batches: question ids per recount, profiles per leaderboard pipeline, keys per SCAN page.
QUESTION_BATCH = 1000
PROFILE_BATCH = 1000
SCAN_COUNT = 1000
ERROR_MAX_CHARS = 500


@dataclass(frozen=True)
class Run:
    """What a task is given: the database's clock at its start, and its last watermark."""

    now: datetime
    watermark: datetime | None


TaskResult = tuple[datetime | None, dict[str, Any]]
TaskFn = Callable[[Session, Run], TaskResult]


# --- the engine -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def jobs_engine() -> Engine:
    """The scheduled tasks' own engine: the app's TLS options, but a socket that waits out
    a long statement (the app's gives up after 10 s; a busy day's rollup may take longer),
    and no pool: a run every hour or so opens a connection per task rather than holding
    one. Statements are bounded by ``db_statement_timeout_ms``, which the function's
    configuration raises (set per transaction, so it holds behind a transaction pooler)."""
    settings = get_settings()
    socket_timeout = settings.db_statement_timeout_ms // 1000 + 30
    return create_engine(
        database_url(settings),
        poolclass=NullPool,
        connect_args={**connect_args(settings), "timeout": socket_timeout},
    )


def reset_jobs_engine() -> None:
    jobs_engine.cache_clear()


# --- the tasks --------------------------------------------------------------------------


def _set_lock_timeout(db: Session, ms: int) -> None:
    db.execute(select(func.set_config("lock_timeout", str(ms), True)))


def partitions_task(db: Session, run: Run) -> TaskResult:
    from lectern.analytics.partitions import ensure_partitions, month_start, next_month

    first = month_start(run.now.date())
    last = first
    for _ in range(get_settings().analytics_partitions_ahead):
        last = next_month(last)
    _set_lock_timeout(db, DDL_LOCK_TIMEOUT_MS)
    made = ensure_partitions(db.connection(), first, last)
    return run.now, {"made": made, "through": last.isoformat()}


def retention_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=get_settings().analytics_retention_days)


def retention_task(db: Session, run: Run) -> TaskResult:
    from lectern.analytics.partitions import drop_partitions_before

    cutoff = retention_cutoff(run.now)
    _set_lock_timeout(db, DDL_LOCK_TIMEOUT_MS)
    dropped = drop_partitions_before(db.connection(), cutoff)
    return run.now, {"dropped": dropped, "cutoff": cutoff.isoformat()}


def rollups_task(db: Session, run: Run) -> TaskResult:
    from lectern.analytics.partitions import month_start, next_month
    from lectern.analytics.store import get_store

    until = run.now - IN_FLIGHT_LAG
    store = get_store()
    days = store.days_received_between(db, run.watermark, until)
    # A day in a month retention may have dropped could have lost its raw events (a
    # late event can even re-create the month's partition): recomputing it would
    # replace its rollups with a partial count, so those days keep the rollups they have.
    cutoff = retention_cutoff(run.now).date()
    kept = [d for d in days if next_month(month_start(d)) > cutoff]
    skipped = [d for d in days if d not in kept]
    rows = store.rollup_days(db, kept)
    return until, {
        "days": [d.isoformat() for d in kept],
        "skipped_days": [d.isoformat() for d in skipped],
        "rows": rows,
    }


_IDS = bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))


def _since_clause(column: str, since: datetime | None, params: dict[str, Any]) -> str:
    """``AND column > :since``, or nothing on a task's first run (no watermark yet)."""
    if since is None:
        return ""
    params["since"] = since
    return f"AND {column} > :since "


# Rows for questions answered but never counted (e.g. made before stats rows existed).
_INSERT_MISSING = text(
    "INSERT INTO question_stats (question_id, answered, correct) "
    "SELECT id, 0, 0 FROM questions WHERE id = ANY(:ids) ORDER BY id "
    "ON CONFLICT (question_id) DO NOTHING"
).bindparams(_IDS)
_LOCK = text(
    "SELECT question_id FROM question_stats WHERE question_id = ANY(:ids) "
    "ORDER BY question_id FOR UPDATE"
).bindparams(_IDS)
# Every answer has its exam_questions row (foreign key), so the answers of a question are
# reached through ix_exam_questions_question_id and the (exam_id, question_id) key.
_RECOUNT = text(
    "UPDATE question_stats s SET answered = c.answered, correct = c.correct "
    "FROM (SELECT q.id AS question_id, count(a.id) AS answered, "
    "      count(a.id) FILTER (WHERE a.is_correct) AS correct "
    "      FROM unnest(CAST(:ids AS uuid[])) AS q(id) "
    "      LEFT JOIN exam_questions eq ON eq.question_id = q.id "
    "      LEFT JOIN exam_answers a "
    "        ON a.exam_id = eq.exam_id AND a.question_id = eq.question_id "
    "      GROUP BY q.id) c "
    "WHERE s.question_id = c.question_id "
    "AND (s.answered, s.correct) IS DISTINCT FROM (c.answered, c.correct) "
    "RETURNING s.question_id"
).bindparams(_IDS)


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def question_stats_task(db: Session, run: Run) -> TaskResult:
    """Recount the questions answered in (watermark, now - lag] from ``exam_answers``.

    Live answers add +1 to ``question_stats`` (an upsert, after inserting the answer, in
    their own transaction) while this runs. Locking the rows first, then counting, loses
    none of them, at READ COMMITTED where each statement sees what committed before it:
    - an answer whose +1 already holds the row lock: our FOR UPDATE waits for its commit,
      and the recount that follows sees its answer row;
    - an answer not yet counted when we hold the lock: its answer row may be invisible
      to our recount, but its +1 waits on our lock and, after we commit, adds to the
      value we wrote (ON CONFLICT DO UPDATE re-reads the latest row version).
    The rows stay locked until the task commits, so live answers to those questions wait
    that long; rows are locked in question order, as every answer locks just one.
    """
    until = run.now - IN_FLIGHT_LAG
    params: dict[str, Any] = {"until": until}
    since = _since_clause("answered_at", run.watermark, params)
    ids = list(
        db.scalars(
            text(
                "SELECT DISTINCT question_id FROM exam_answers "  # noqa: S608 - fixed clauses
                f"WHERE answered_at <= :until {since}ORDER BY question_id"
            ),
            params,
        )
    )
    repaired = 0
    for batch in _batches(ids, QUESTION_BATCH):
        db.execute(_INSERT_MISSING, {"ids": list(batch)})
        db.execute(_LOCK, {"ids": list(batch)}).all()
        repaired += len(db.execute(_RECOUNT, {"ids": list(batch)}).all())
    return until, {"questions": len(ids), "repaired": repaired}


def _changed_profiles(db: Session, since: datetime | None, until: datetime) -> Iterable[list[Any]]:
    """Profiles stamped in (since, until], in ``PROFILE_BATCH`` pages (keyset on
    ``ix_profiles_updated_at``), with their user's deletion time."""
    after: tuple[datetime, Any] | None = None
    while True:
        params: dict[str, Any] = {"until": until, "limit": PROFILE_BATCH}
        since_clause = _since_clause("p.updated_at", since, params)
        keyset = ""
        if after is not None:
            keyset = "AND (p.updated_at, p.user_id) > (:after_at, :after_id) "
            params.update(after_at=after[0], after_id=after[1])
        rows = db.execute(
            text(
                "SELECT p.user_id, p.xp, p.weekly_xp, p.xp_week, p.updated_at, u.deleted_at "  # noqa: S608 - fixed clauses
                "FROM profiles p JOIN users u ON u.id = p.user_id "
                f"WHERE p.updated_at <= :until {since_clause}{keyset}"
                "ORDER BY p.updated_at, p.user_id LIMIT :limit"
            ),
            params,
        ).all()
        if not rows:
            return
        yield list(rows)
        after = (rows[-1].updated_at, rows[-1].user_id)


def leaderboards_task(db: Session, run: Run) -> TaskResult:
    """Copy changed profiles' XP to the boards (``ZADD GT``: a copy never lowers a score
    a newer award already wrote) and take deleted learners off them."""
    from lectern.kv import get_kv
    from lectern.progress.leaderboards import WEEKLY_TTL_SECONDS, Period, board_key
    from lectern.progress.xp import week_start

    until = run.now - IN_FLIGHT_LAG
    this_week = week_start(run.now.date())
    all_time = board_key(Period.all_time)
    weekly = board_key(Period.weekly, this_week)
    # The weekly board outlives its week by one ("last week"): a deleted learner leaves it too.
    last_weekly = board_key(Period.weekly, this_week - timedelta(days=7))
    published = removed = 0
    for rows in _changed_profiles(db, run.watermark, until):
        gone = [str(r.user_id) for r in rows if r.deleted_at is not None]
        live = [r for r in rows if r.deleted_at is None]
        scores = {str(r.user_id): r.xp for r in live if r.xp > 0}
        week_scores = {
            str(r.user_id): r.weekly_xp for r in live if r.xp_week == this_week and r.weekly_xp > 0
        }
        pipe = get_kv().pipeline()
        if scores:
            pipe.zadd(all_time, scores, gt=True)
        if week_scores:
            pipe.zadd(weekly, week_scores, gt=True)
            pipe.expire(weekly, WEEKLY_TTL_SECONDS)
        if gone:
            for board in (all_time, weekly, last_weekly):
                pipe.zrem(board, *gone)
        if scores or week_scores or gone:
            pipe.exec()
        published += len(scores)
        removed += len(gone)
    return until, {"published": published, "removed": removed}


def shares_task(db: Session, run: Run) -> TaskResult:
    cutoff = run.now - timedelta(days=get_settings().share_cleanup_after_days)
    deleted = db.execute(
        text("DELETE FROM shares WHERE expires_at < :cutoff OR revoked_at < :cutoff"),
        {"cutoff": cutoff},
    )
    return run.now, {"deleted": int(getattr(deleted, "rowcount", 0) or 0)}


def sessions_task(_db: Session, run: Run) -> TaskResult:
    """Prune expired members from every ``user-sessions:<uid>`` index. The session keys
    expire by TTL, and an index with its newest session; until then its older, expired
    members stay, pruned otherwise only when the user signs in again. SCAN may return a
    key twice; pruning it again is harmless."""
    from lectern.kv import get_kv, key

    kv = get_kv()
    pattern = key("user-sessions", "*")
    now = int(time.time())
    cursor, keys_seen, pruned, skipped = 0, 0, 0, 0
    while True:
        cursor, keys = kv.scan(cursor, match=pattern, count=SCAN_COUNT)
        if keys:
            # A key of another type (an older format) would fail the whole pipeline, and
            # so the task, every run: it is counted and left alone.
            types = kv.pipeline()
            for index in keys:
                types.type(index)
            indexes = [k for k, t in zip(keys, types.exec(), strict=True) if str(t) == "zset"]
            skipped += len(keys) - len(indexes)
            if indexes:
                pipe = kv.pipeline()
                for index in indexes:
                    pipe.zremrangebyscore(index, "-inf", now)
                pruned += sum(int(str(n)) for n in pipe.exec())
            keys_seen += len(indexes)
        if int(cursor) == 0:
            break
    return run.now, {"indexes": keys_seen, "pruned": pruned, "skipped": skipped}


def uploads_task(db: Session, run: Run) -> TaskResult:
    from lectern.documents.service import purge_abandoned_uploads

    older_than = timedelta(hours=get_settings().abandoned_upload_hours)
    deleted = 0
    while batch := purge_abandoned_uploads(db, older_than=older_than):
        deleted += batch
    return run.now, {"deleted": deleted}


def outbox_task(db: Session, run: Run) -> TaskResult:
    from lectern.search.sync import MAX_ATTEMPTS

    cutoff = run.now - timedelta(days=get_settings().outbox_poison_keep_days)
    deleted = db.execute(
        text("DELETE FROM outbox WHERE attempts >= :attempts AND created_at < :cutoff"),
        {"attempts": MAX_ATTEMPTS, "cutoff": cutoff},
    )
    removed = int(getattr(deleted, "rowcount", 0) or 0)
    if removed:
        logger.warning("poisoned outbox rows deleted", extra={"deleted": removed})
    return run.now, {"deleted": removed}


TASKS: dict[str, TaskFn] = {
    "partitions": partitions_task,
    "retention": retention_task,
    "rollups": rollups_task,
    "question_stats": question_stats_task,
    "leaderboards": leaderboards_task,
    "shares": shares_task,
    "sessions": sessions_task,
    "uploads": uploads_task,
    "outbox": outbox_task,
}


# --- the runner -------------------------------------------------------------------------


def _lock_key(task: str) -> int:
    """A stable signed 64-bit advisory lock key per task."""
    digest = hashlib.blake2b(f"lectern.aggregate.{task}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _mark(db: Session, task: str, **values: Any) -> None:
    statement = pg_insert(JobState).values(task=task, **values)
    db.execute(statement.on_conflict_do_update(index_elements=[JobState.task], set_=values))


def _run_one(sessions: sessionmaker[Session], name: str, fn: TaskFn) -> dict[str, Any]:
    started = time.perf_counter()
    began: datetime | None = None
    with sessions() as db:
        try:
            db.execute(
                select(
                    func.set_config(
                        "statement_timeout", str(get_settings().db_statement_timeout_ms), True
                    )
                )
            )
            # Held until this transaction ends: an overlapping run skips the task.
            if not db.scalar(select(func.pg_try_advisory_xact_lock(_lock_key(name)))):
                db.rollback()
                return {"status": "busy"}
            began = db.execute(select(func.now())).scalar_one()
            # Read after taking the lock, so a run that just finished is seen.
            watermark = db.scalar(select(JobState.watermark).where(JobState.task == name))
            _mark(db, name, last_started_at=began)
            new_watermark, details = fn(db, Run(now=began, watermark=watermark))
            _mark(
                db,
                name,
                watermark=new_watermark,
                details=details,
                last_status="ok",
                last_error=None,
                last_finished_at=func.clock_timestamp(),
            )
            db.commit()
        except Exception as exc:
            with contextlib.suppress(Exception):  # the connection may be what failed
                db.rollback()
            # Type and message only: a trace goes to the log, never into the table.
            error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]
            logger.exception("aggregate task failed", extra={"task": name})
            count("AggregateTaskFailed")
            _record_failure(sessions, name, began, error)
            return {"status": "failed", "error": error, "seconds": _since(started)}
    return {
        "status": "ok",
        "watermark": _iso(new_watermark),
        "details": details,
        "seconds": _since(started),
    }


def _record_failure(
    sessions: sessionmaker[Session], name: str, began: datetime | None, error: str
) -> None:
    try:
        with sessions() as db:
            values: dict[str, Any] = {
                "last_status": "failed",
                "last_error": error,
                "last_finished_at": func.now(),
            }
            if began is not None:
                values["last_started_at"] = began
            _mark(db, name, **values)
            db.commit()
    except Exception:
        # The database itself may be what failed; the log above still has the error.
        logger.exception("could not record the task's failure", extra={"task": name})


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def run_tasks(
    names: Sequence[str] | None = None, *, sessions: sessionmaker[Session] | None = None
) -> dict[str, dict[str, Any]]:
    """Run the named tasks (all by default, in ``TASKS`` order); return each one's
    outcome: ``{"status": "ok" | "failed" | "busy", ...}``. Never raises for a task."""
    chosen = list(TASKS) if names is None else list(dict.fromkeys(names))
    unknown = [n for n in chosen if n not in TASKS]
    if unknown:
        raise ValueError(f"unknown tasks {unknown}; known: {list(TASKS)}")
    sessions = sessions or sessionmaker(bind=jobs_engine(), expire_on_commit=False)
    return {name: _run_one(sessions, name, TASKS[name]) for name in chosen}

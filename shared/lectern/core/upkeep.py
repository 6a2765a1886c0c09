"""The scheduled upkeep behind the ``aggregate`` function: every registered task.

Contexts register their tasks (``lectern.core.registry.UpkeepTask``); each is a plain
function ``(db, run) -> (watermark, details)``. ``run_tasks`` runs them one after
another, each in its own transaction:

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

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from lectern.config import database_url, get_settings
from lectern.core.cache import cached_client
from lectern.core.models import JobState
from lectern.db.engine import connect_args
from lectern.observability import count, get_logger

logger = get_logger()


# How far behind now the "changed since" tasks stop: a row stamped with its
# transaction's start time is visible once that transaction commits; requests'
# transactions last seconds (statements time out at 5 s), so a minute is ample.
IN_FLIGHT_LAG = timedelta(minutes=1)


ERROR_MAX_CHARS = 500


@dataclass(frozen=True)
class Run:
    """What a task is given: the database's clock at its start, and its last watermark."""

    now: datetime
    watermark: datetime | None

    @property
    def settled(self) -> datetime:
        """Now less ``IN_FLIGHT_LAG``: where "changed since the watermark" tasks stop."""
        return self.now - IN_FLIGHT_LAG


TaskResult = tuple[datetime | None, dict[str, Any]]


TaskFn = Callable[[Session, Run], TaskResult]


# --- helpers the tasks share ------------------------------------------------------------


@cached_client
def jobs_engine() -> Engine:
    """The scheduled tasks' own engine: the app's TLS options, but a socket that waits out
    a long statement (the app's gives up after 10 s; a busy day's rollup may take longer),
    and no pool: a run every hour or so opens a connection per task rather than holding
    one. Statements are bounded by ``database.statement_timeout_ms``, which the function's
    configuration raises (set per transaction, so it holds behind a transaction pooler)."""
    settings = get_settings()
    socket_timeout = settings.database.statement_timeout_ms // 1000 + 30
    return create_engine(
        database_url(settings),
        poolclass=NullPool,
        connect_args={**connect_args(settings), "timeout": socket_timeout},
    )


def latest_hour(now: datetime, hour: int) -> datetime:
    """The latest ``hour`` o'clock at or before ``now``: where a once-a-day task's run
    stops (its watermark), so a rerun the same day finds it reached."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today <= now else today - timedelta(days=1)


def since_clause(column: str, since: datetime | None, params: dict[str, Any]) -> str:
    """``AND column > :since``, or nothing on a task's first run (no watermark yet)."""
    if since is None:
        return ""
    params["since"] = since
    return f"AND {column} > :since "


def batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the runner -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def tasks() -> dict[str, TaskFn]:
    """Every registered task by name, in the order the contexts are installed."""
    from lectern.core.registry import get_registry, resolve

    return {task.name: resolve(task.run) for task in get_registry().upkeep}


def scheduled(schedule: str = "aggregate") -> list[str]:
    """The names of the tasks one scheduled function runs, in registration order."""
    from lectern.core.registry import get_registry

    return [t.name for t in get_registry().upkeep if t.schedule == schedule]


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
                        "statement_timeout", str(get_settings().database.statement_timeout_ms), True
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
    names: Sequence[str] | None = None,
    *,
    sessions: sessionmaker[Session] | None = None,
    schedule: str = "aggregate",
) -> dict[str, dict[str, Any]]:
    """Run the named tasks (by default every task of ``schedule``, in registration
    order); return each one's outcome: ``{"status": "ok" | "failed" | "busy", ...}``.
    Never raises for a task."""
    registered = tasks()
    chosen = scheduled(schedule) if names is None else list(dict.fromkeys(names))
    unknown = [n for n in chosen if n not in registered]
    if unknown:
        raise ValueError(f"unknown tasks {unknown}; known: {list(registered)}")
    sessions = sessions or sessionmaker(bind=jobs_engine(), expire_on_commit=False)
    outcomes = {name: _run_one(sessions, name, registered[name]) for name in chosen}
    # One a run, whatever its tasks did: an alarm fires when a schedule's window passes
    # without one (the function never ran, or died before the end).
    count("UpkeepRunCompleted")
    return outcomes

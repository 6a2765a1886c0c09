"""Analytics upkeep: event partitions, retention and the daily rollups.

- ``partitions``: event partitions from this month to ``analytics.partitions_ahead``
  months ahead (``record_events`` also makes a missing one on demand).
- ``retention``: drops whole monthly partitions older than ``analytics.retention_days``;
  the rollups of those days stay.
- ``rollups``: recomputes the daily rollups of every day that received events since the
  watermark (see ``lectern.analytics.rollups``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.upkeep import Run, TaskResult

# DDL on ``events`` (make or drop a partition) queues every insert behind it while it
# waits for its lock: give up quickly instead, and try again next run.
DDL_LOCK_TIMEOUT_MS = 5000


def _set_lock_timeout(db: Session, ms: int) -> None:
    db.execute(select(func.set_config("lock_timeout", str(ms), True)))


def partitions_task(db: Session, run: Run) -> TaskResult:
    from lectern.analytics.partitions import ensure_partitions, month_start, next_month

    first = month_start(run.now.date())
    last = first
    for _ in range(get_settings().analytics.partitions_ahead):
        last = next_month(last)
    _set_lock_timeout(db, DDL_LOCK_TIMEOUT_MS)
    made = ensure_partitions(db.connection(), first, last)
    return run.now, {"made": made, "through": last.isoformat()}


def retention_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=get_settings().analytics.retention_days)


def retention_task(db: Session, run: Run) -> TaskResult:
    from lectern.analytics.partitions import drop_partitions_before

    cutoff = retention_cutoff(run.now)
    _set_lock_timeout(db, DDL_LOCK_TIMEOUT_MS)
    dropped = drop_partitions_before(db.connection(), cutoff)
    return run.now, {"dropped": dropped, "cutoff": cutoff.isoformat()}


def rollups_task(db: Session, run: Run) -> TaskResult:
    from lectern.analytics.partitions import month_start, next_month
    from lectern.analytics.store.factory import get_store

    until = run.settled
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

"""Audit upkeep: ``audit_partitions`` keeps monthly partitions made ahead (a write for a
month without one also makes it); ``audit_retention`` drops whole months older than
``audit.retention_days``, never rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.upkeep import Run, TaskResult
from lectern.db.partitions import drop_monthly_before, ensure_monthly, month_start, next_month

TABLE = "audit_log"
# DDL on the table queues every write behind it while it waits: give up quickly.
DDL_LOCK_TIMEOUT_MS = 5000


def _lock_timeout(db: Session) -> None:
    db.execute(select(func.set_config("lock_timeout", str(DDL_LOCK_TIMEOUT_MS), True)))


def partitions_task(db: Session, run: Run) -> TaskResult:
    first = month_start(run.now.date())
    last = first
    for _ in range(get_settings().audit.partitions_ahead):
        last = next_month(last)
    _lock_timeout(db)
    made = ensure_monthly(db.connection(), TABLE, first, last)
    return run.now, {"made": made, "through": last.isoformat()}


def retention_task(db: Session, run: Run) -> TaskResult:
    cutoff = run.now - timedelta(days=get_settings().audit.retention_days)
    _lock_timeout(db)
    dropped = drop_monthly_before(db.connection(), TABLE, cutoff)
    return run.now, {"dropped": dropped, "cutoff": cutoff.isoformat()}

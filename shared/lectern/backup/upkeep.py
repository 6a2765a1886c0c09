"""The backup function's tasks: ``backup`` (daily export) and ``backup_verify`` (the
newest export restored into a scratch database and compared). A verification that finds
a difference is recorded in ``job_state`` with the table it names and counted as
``BackupVerifyFailed``, which an alarm watches; one that succeeds counts
``BackupVerified``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lectern.backup import service
from lectern.core.upkeep import Run, TaskResult, jobs_engine
from lectern.observability import count, get_logger
from lectern.storage.factory import get_storage


def backup_task(_db: Session, run: Run) -> TaskResult:
    # Its own connection and snapshot: the runner's transaction has already begun.
    manifest = service.take_backup(jobs_engine(), get_storage(), run.now)
    count("BackupCompleted")
    return run.now, {
        "id": manifest.id,
        "tables": {name: t["rows"] for name, t in manifest.tables.items()},
    }


def verify_task(_db: Session, run: Run) -> TaskResult:
    try:
        outcome = service.verify_latest(get_storage())
    except Exception:
        count("BackupVerifyFailed")
        raise
    if outcome["equal"]:
        count("BackupVerified")
    else:
        count("BackupVerifyFailed")
        get_logger().error("backup verification failed", extra={"outcome": outcome})
    return run.now, outcome

"""Sharing upkeep: ``shares`` deletes share links expired or revoked more than
``sharing.cleanup_after_days`` ago.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.upkeep import Run, TaskResult


def shares_task(db: Session, run: Run) -> TaskResult:
    cutoff = run.now - timedelta(days=get_settings().sharing.cleanup_after_days)
    deleted = db.execute(
        text("DELETE FROM shares WHERE expires_at < :cutoff OR revoked_at < :cutoff"),
        {"cutoff": cutoff},
    )
    return run.now, {"deleted": int(getattr(deleted, "rowcount", 0) or 0)}

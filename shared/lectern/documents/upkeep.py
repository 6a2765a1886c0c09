"""Documents upkeep: ``uploads`` deletes documents whose upload never completed (row and
object) after ``documents.abandoned_upload_hours``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.upkeep import Run, TaskResult


def uploads_task(db: Session, run: Run) -> TaskResult:
    from lectern.documents.service import purge_abandoned_uploads

    older_than = timedelta(hours=get_settings().documents.abandoned_upload_hours)
    deleted = 0
    while batch := purge_abandoned_uploads(db, older_than=older_than):
        deleted += batch
    return run.now, {"deleted": deleted}

"""The daily study reminder, a task of the scheduled (hourly) ``aggregate`` run.

The first run after ``LECTERN_STUDY_REMINDER_HOUR_UTC`` notifies (type ``study_due``)
every learner with reviewed flashcards due by then; new cards alone remind nobody. The
watermark is that hour: a rerun the same day finds it reached and does nothing, so each
learner hears at most once a day.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.upkeep import Run, TaskResult, latest_hour

_DUE_LEARNERS = text(
    "SELECT DISTINCT i.user_id FROM study_items AS i"
    " JOIN users AS u ON u.id = i.user_id AND u.deleted_at IS NULL"
    " WHERE i.type = 'flashcard' AND i.state <> 'new' AND i.due <= :cutoff"
    " ORDER BY i.user_id"
)


def reminders_task(db: Session, run: Run) -> TaskResult:
    from lectern.notifications.service import notify

    cutoff = latest_hour(run.now, get_settings().study.reminder_hour_utc)
    if run.watermark is not None and run.watermark >= cutoff:
        return run.watermark, {"reminded": 0, "cutoff": cutoff.isoformat(), "skipped": True}
    learners = list(db.scalars(_DUE_LEARNERS, {"cutoff": cutoff}))
    written = notify(
        db,
        learners,
        "study_due",
        title="Cards are due for review",
        body="A few minutes of review today keeps them fresh.",
        link="/study",
    )
    return cutoff, {"reminded": len(learners), "notified": written, "cutoff": cutoff.isoformat()}

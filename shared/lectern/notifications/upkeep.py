"""The daily digest, a task of the scheduled ``aggregate`` run.

Notifications whose type a user gets "daily" wait with ``digest_due``. The first run
after the digest hour (``LECTERN_NOTIFICATIONS_DIGEST_HOUR_UTC``) gathers, per user,
every row due from before that hour into one digest: the rows get its id, and one
outbox row (topic ``mail``) goes in the same transaction, so the relay mails each digest
once it commits. A rerun finds nothing left before the hour: it is idempotent, and rows
written after the hour wait for the next day's digest.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.ids import uuid7
from lectern.core.outbox import relay
from lectern.core.upkeep import Run, TaskResult, latest_hour
from lectern.notifications.models import Notification

# Users digested per run at most; the rest are left for the next (hourly) run.
MAX_DIGESTS_PER_RUN = 20_000


_STAMP = text(
    "UPDATE notifications AS n SET digest_due = false, digest_id = d.digest_id"
    " FROM unnest(CAST(:users AS uuid[]), CAST(:digests AS uuid[])) AS d(user_id, digest_id)"
    " WHERE n.user_id = d.user_id AND n.digest_due AND n.created_at < :cutoff"
)


def digest_task(db: Session, run: Run) -> TaskResult:
    cutoff = latest_hour(run.now, get_settings().notifications.digest_hour_utc)
    users = list(
        db.scalars(
            select(Notification.user_id)
            .where(Notification.digest_due.is_(True), Notification.created_at < cutoff)
            .group_by(Notification.user_id)
            .order_by(Notification.user_id)
            .limit(MAX_DIGESTS_PER_RUN)
        )
    )
    digests = [uuid7() for _ in users]
    if users:
        db.execute(
            _STAMP,
            {
                "users": [str(u) for u in users],
                "digests": [str(d) for d in digests],
                "cutoff": cutoff,
            },
        )
        relay(db, "mail", "notification_digest", digests)
    return cutoff, {"digests": len(digests), "cutoff": cutoff.isoformat()}

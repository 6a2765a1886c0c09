"""Progress upkeep: ``leaderboards`` re-publishes changed profiles' XP to the sorted sets
and removes deleted learners.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.core.upkeep import Run, TaskResult, since_clause

PROFILE_BATCH = 1000


def _changed_profiles(db: Session, since: datetime | None, until: datetime) -> Iterable[list[Any]]:
    """Profiles stamped in (since, until], in ``PROFILE_BATCH`` pages (keyset on
    ``ix_profiles_updated_at``), with their user's deletion time."""
    after: tuple[datetime, Any] | None = None
    while True:
        params: dict[str, Any] = {"until": until, "limit": PROFILE_BATCH}
        changed = since_clause("p.updated_at", since, params)
        keyset = ""
        if after is not None:
            keyset = "AND (p.updated_at, p.user_id) > (:after_at, :after_id) "
            params.update(after_at=after[0], after_id=after[1])
        rows = db.execute(
            text(
                "SELECT p.user_id, p.xp, p.weekly_xp, p.xp_week, p.updated_at, u.deleted_at, "  # noqa: S608 - fixed clauses
                "p.leaderboard_visible "
                "FROM profiles p JOIN users u ON u.id = p.user_id "
                f"WHERE p.updated_at <= :until {changed}{keyset}"
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
    from lectern.kv.factory import get_kv
    from lectern.progress.leaderboards import WEEKLY_TTL_SECONDS, Period, board_key
    from lectern.progress.xp import week_start

    until = run.settled
    this_week = week_start(run.now.date())
    all_time = board_key(Period.all_time)
    weekly = board_key(Period.weekly, this_week)
    # The weekly board outlives its week by one ("last week"): a deleted learner leaves it too.
    last_weekly = board_key(Period.weekly, this_week - timedelta(days=7))
    published = removed = 0
    for rows in _changed_profiles(db, run.watermark, until):
        # Deleted learners, and those who chose to be hidden, leave the boards.
        gone = [
            str(r.user_id) for r in rows if r.deleted_at is not None or not r.leaderboard_visible
        ]
        live = [r for r in rows if r.deleted_at is None and r.leaderboard_visible]
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

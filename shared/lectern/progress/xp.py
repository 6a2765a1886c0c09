"""XP, levels and daily streaks, awarded through one ledger so nothing is paid twice.

An award inserts a row into ``xp_awards`` keyed by (learner, reason, source); only when
that row is new does the profile change, in one UPDATE that adds the XP, recomputes the
level, rolls the weekly total and extends or restarts the streak. Both are one database
function, ``award_xp`` (migration 0007), so lessons and answers award by the same rules in
one round trip, in the caller's transaction: the award commits or rolls back with the
work it rewards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from math import isqrt
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from lectern.core.activity import XP, Activity
from lectern.core.ids import uuid7
from lectern.identity.models import Profile

XP_PER_LEVEL_STEP = 100
LESSON_COMPLETED_XP = 10


class Reason:
    lesson_completed = "lesson_completed"
    correct_answer = "correct_answer"


def level_for(xp: int) -> int:
    """Level n needs 100·(n-1)² XP: 0 → 1, 100 → 2, 400 → 3, 900 → 4."""
    return 1 + isqrt(max(xp, 0) // XP_PER_LEVEL_STEP)


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week (UTC): weekly leaderboards roll over then."""
    return day - timedelta(days=day.weekday())


def current_streak(streak_days: int, last_active_on: date | None, today: date) -> int:
    """A streak lives while the learner was active today or yesterday (UTC days)."""
    if last_active_on is None or last_active_on < today - timedelta(days=1):
        return 0
    return streak_days


@dataclass(frozen=True)
class Award:
    user_id: uuid.UUID
    amount: int
    xp: int
    level: int
    weekly_xp: int
    week: date
    streak_days: int
    # False when the learner keeps off the leaderboards: the award is not published.
    visible: bool = True


# The ledger row and the profile update in one call (the function is in migration 0007,
# beside the answer's, which awards through it too).
_AWARD_XP = text(
    "SELECT * FROM award_xp(:id, :user_id, :reason, :source_id, CAST(:amount AS integer), :now)"
)


def award_from_row(user_id: uuid.UUID, amount: int, row: Any) -> Award:
    """The award an ``award_xp`` row reports (``record_exam_answer`` reports one too)."""
    return Award(
        user_id=user_id,
        amount=amount,
        xp=row.xp,
        level=row.level,
        weekly_xp=row.weekly_xp,
        week=row.xp_week,
        streak_days=row.streak_days,
        visible=row.leaderboard_visible,
    )


def award_xp(
    db: Session,
    user_id: uuid.UUID,
    *,
    reason: str,
    source_id: uuid.UUID,
    amount: int,
    now: datetime | None = None,
) -> Award | None:
    """Award ``amount`` XP once per (user, reason, source); None if it was awarded before.

    Runs in the caller's transaction and does not commit. After the caller commits, hand
    the award to ``leaderboards.publish``.
    """
    if amount <= 0:
        return None
    db.flush()  # the caller's pending writes go first, as an ORM statement would send them
    row = db.execute(
        _AWARD_XP,
        {
            "id": uuid7(),
            "user_id": user_id,
            "reason": reason,
            "source_id": source_id,
            "amount": amount,
            "now": now or datetime.now(UTC),
        },
    ).one_or_none()
    if row is None:
        return None
    # A profile this session holds is stale now: reload it when next read, or a later
    # change to it would be compared with (and write over) the totals before the award.
    profile = db.identity_map.get(identity_key(Profile, user_id))
    if profile is not None:
        db.expire(profile)
    return award_from_row(user_id, amount, row)


def xp_activity(
    award: Award,
    source_id: uuid.UUID,
    *,
    at: datetime,
    course_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
) -> Activity:
    """The activity an award is (``lectern.core.activity``): the ledger's source names it,
    so a learner's XP for one source is told once, as it is paid once."""
    return Activity(
        XP,
        award.user_id,
        source_id,
        amount=award.amount,
        at=at,
        course_id=course_id,
        subject_id=subject_id or source_id,
        xp_total=award.xp,
        streak_days=award.streak_days,
    )

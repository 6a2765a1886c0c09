"""XP, levels and daily streaks, awarded through one ledger so nothing is paid twice.

An award inserts a row into ``xp_awards`` keyed by (learner, reason, source); only when
that row is new does the profile change, in one UPDATE that adds the XP, recomputes the
level, rolls the weekly total and extends or restarts the streak. Both statements run in
the caller's transaction, so the award commits or rolls back with the work it rewards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from math import isqrt

from sqlalchemy import Integer, case, cast, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from lectern.core.ids import uuid7
from lectern.identity.models import Profile
from lectern.progress.models import XpAward

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

    Flushes but does not commit. After the caller commits, hand the award to
    ``leaderboards.publish``.
    """
    if amount <= 0:
        return None
    now = now or datetime.now(UTC)
    new = db.execute(
        insert(XpAward)
        .values(
            id=uuid7(),
            user_id=user_id,
            reason=reason,
            source_id=source_id,
            amount=amount,
            awarded_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "reason", "source_id"])
        .returning(XpAward.id)
    ).scalar()
    if new is None:
        return None
    today = now.date()
    week = week_start(today)
    new_xp = Profile.xp + amount
    # The row lock this UPDATE takes orders concurrent awards of one learner, and each
    # sees the previous one's committed totals: counters are never lost.
    row = db.execute(
        update(Profile)
        .where(Profile.user_id == user_id)
        .values(
            xp=new_xp,
            level=1 + cast(func.floor(func.sqrt(new_xp / XP_PER_LEVEL_STEP)), Integer),
            weekly_xp=case((Profile.xp_week == week, Profile.weekly_xp + amount), else_=amount),
            xp_week=week,
            streak_days=case(
                (Profile.last_active_on == today, Profile.streak_days),
                (Profile.last_active_on == today - timedelta(days=1), Profile.streak_days + 1),
                else_=1,
            ),
            last_active_on=today,
        )
        .returning(
            Profile.xp,
            Profile.level,
            Profile.weekly_xp,
            Profile.streak_days,
            Profile.leaderboard_visible,
        )
    ).one()
    return Award(
        user_id=user_id,
        amount=amount,
        xp=row.xp,
        level=row.level,
        weekly_xp=row.weekly_xp,
        week=week,
        streak_days=row.streak_days,
        visible=row.leaderboard_visible,
    )

"""Leaderboards in Upstash sorted sets: top N and one learner's rank in one round trip.

Why sorted sets and not an index: top-N is cheap either way, but a learner's own rank
from Postgres is a count of everyone above them, which grows with the number of
learners; ZREVRANK is O(log N). Postgres stays the truth (``profiles.xp``,
``profiles.weekly_xp``): the sets hold copies written with ``ZADD GT`` (scores only go
up, so replays and out-of-order writes are harmless), and can be rebuilt from it.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lectern.errors import DependencyUnavailable
from lectern.kv.factory import get_kv
from lectern.kv.port import key
from lectern.observability import count, get_logger
from lectern.progress.xp import Award, week_start

# A weekly board outlives its week by one, for "last week" views; then Upstash drops it.
WEEKLY_TTL_SECONDS = 14 * 24 * 3600

logger = get_logger()


class Period(enum.StrEnum):
    weekly = "weekly"
    all_time = "all_time"


def board_key(period: Period, week: date | None = None) -> str:
    if period is Period.all_time:
        return key("leaderboard", "all_time")
    week = week or week_start(datetime.now(UTC).date())
    return key("leaderboard", "weekly", week.isoformat())


def publish(awards: list[Award]) -> None:
    """Copy awarded totals to the boards after the award committed.

    Best effort: learning goes on when the KV store is down, and the scheduled
    leaderboard refresh rewrites the sets from Postgres.
    """
    awards = [a for a in awards if a.visible]
    if not awards:
        return
    try:
        pipe = get_kv().pipeline()
        for award in awards:
            member = str(award.user_id)
            weekly = board_key(Period.weekly, award.week)
            pipe.zadd(board_key(Period.all_time), {member: award.xp}, gt=True)
            pipe.zadd(weekly, {member: award.weekly_xp}, gt=True)
            pipe.expire(weekly, WEEKLY_TTL_SECONDS)
        pipe.exec()
    except DependencyUnavailable as exc:
        logger.warning("leaderboard update skipped", extra={"reason": str(exc)})
        count("LeaderboardUpdateSkipped")


def forget(user_id: uuid.UUID) -> None:
    """Take a learner off the boards (account deletion, or they chose to be hidden)."""
    pipe = get_kv().pipeline()
    pipe.zrem(board_key(Period.all_time), str(user_id))
    pipe.zrem(board_key(Period.weekly), str(user_id))
    pipe.exec()


def restore(user_id: uuid.UUID, xp: int, weekly_xp: int, week: date | None) -> None:
    """Put a learner back on the boards with the totals Postgres holds."""
    this_week = week_start(datetime.now(UTC).date())
    this_week_xp = weekly_xp if week == this_week else 0
    if xp <= 0 and this_week_xp <= 0:
        # Nothing to put back; an empty pipeline is refused by Upstash (it was a 500).
        return
    pipe = get_kv().pipeline()
    if xp > 0:
        pipe.zadd(board_key(Period.all_time), {str(user_id): xp}, gt=True)
    if this_week_xp > 0:
        weekly = board_key(Period.weekly, this_week)
        pipe.zadd(weekly, {str(user_id): this_week_xp}, gt=True)
        pipe.expire(weekly, WEEKLY_TTL_SECONDS)
    pipe.exec()


@dataclass(frozen=True)
class Standing:
    top: list[tuple[uuid.UUID, int]]  # (user, xp), best first; rank = index + 1
    rank: int | None  # the caller's rank, None when they have no XP on this board
    xp: int


def standing(period: Period, user_id: uuid.UUID, limit: int = 100) -> Standing:
    """The top ``limit`` and the caller's own rank and XP: one pipelined KV call."""
    board = board_key(period)
    member = str(user_id)
    pipe = get_kv().pipeline()
    pipe.zrange(board, 0, limit - 1, rev=True, withscores=True)
    pipe.zrevrank(board, member)
    pipe.zscore(board, member)
    top_raw, rank_raw, score_raw = pipe.exec()
    pairs: list[tuple[str, float]] = top_raw if isinstance(top_raw, list) else []
    top = [(uuid.UUID(str(m)), int(float(s))) for m, s in pairs]
    rank = None if rank_raw is None else int(str(rank_raw)) + 1
    xp = 0 if score_raw is None else int(float(str(score_raw)))
    return Standing(top=top, rank=rank, xp=xp)

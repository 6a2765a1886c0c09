"""A challenge's leaderboard in an Upstash sorted set: top N and one rank in one call.

Postgres holds the truth (``challenge_entries.score``); the set holds copies written
after commit with ``ZADD GT``, so replays and late writes never lower a score, and it is
rebuilt from Postgres when missing (Upstash flushed, or the set expired 30 days after
the challenge ended). Learners who keep off leaderboards (``profiles.leaderboard_visible``)
are never written to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.errors import DependencyUnavailable
from lectern.kv.factory import get_kv
from lectern.kv.port import key
from lectern.observability import count, get_logger

# A board outlives its challenge by this much, for the results page; then Upstash drops
# it and a late read rebuilds it from Postgres.
KEEP_AFTER_END = timedelta(days=30)
REBUILD_BATCH = 5000

logger = get_logger()


@dataclass(frozen=True)
class Score:
    challenge_id: uuid.UUID
    user_id: uuid.UUID
    score: int
    ends_at: datetime


def board_key(challenge_id: uuid.UUID) -> str:
    return key("challenge", str(challenge_id), "board")


def publish(scores: list[Score]) -> None:
    """Copy scores to their boards after the commit. Best effort: the scheduled refresh
    (``challenge_boards``) and a rebuild on read bring a board back to Postgres."""
    if not scores:
        return
    try:
        pipe = get_kv().pipeline()
        for s in scores:
            board = board_key(s.challenge_id)
            pipe.zadd(board, {str(s.user_id): s.score}, gt=True)
            pipe.expireat(board, int((s.ends_at + KEEP_AFTER_END).timestamp()))
        pipe.exec()
    except DependencyUnavailable as exc:
        logger.warning("challenge board update skipped", extra={"reason": str(exc)})
        count("ChallengeBoardUpdateSkipped")


def joined(challenge_id: uuid.UUID, user_id: uuid.UUID, ends_at: datetime) -> None:
    """A new entrant appears with 0 (``NX``: never over a score already there)."""
    try:
        pipe = get_kv().pipeline()
        board = board_key(challenge_id)
        pipe.zadd(board, {str(user_id): 0}, nx=True)
        pipe.expireat(board, int((ends_at + KEEP_AFTER_END).timestamp()))
        pipe.exec()
    except DependencyUnavailable as exc:
        logger.warning("challenge board update skipped", extra={"reason": str(exc)})
        count("ChallengeBoardUpdateSkipped")


def forget(challenge_ids: list[uuid.UUID], user_id: uuid.UUID) -> None:
    """Take a learner off these boards (erasure, or they keep off leaderboards)."""
    if not challenge_ids:
        return
    try:
        pipe = get_kv().pipeline()
        for challenge_id in challenge_ids:
            pipe.zrem(board_key(challenge_id), str(user_id))
        pipe.exec()
    except DependencyUnavailable as exc:
        logger.warning("challenge board update skipped", extra={"reason": str(exc)})
        count("ChallengeBoardUpdateSkipped")


@dataclass(frozen=True)
class Standing:
    top: list[tuple[uuid.UUID, int]]  # best first; rank = index + 1
    rank: int | None  # None: not on the board (not joined, or kept off)
    score: int | None
    size: int


def standing(challenge_id: uuid.UUID, user_id: uuid.UUID, limit: int) -> Standing:
    """Top ``limit``, the caller's rank and score, and the board's size: one KV call."""
    board = board_key(challenge_id)
    member = str(user_id)
    pipe = get_kv().pipeline()
    pipe.zrange(board, 0, limit - 1, rev=True, withscores=True)
    pipe.zrevrank(board, member)
    pipe.zscore(board, member)
    pipe.zcard(board)
    top_raw, rank_raw, score_raw, size_raw = pipe.exec()
    pairs: list[tuple[str, float]] = top_raw if isinstance(top_raw, list) else []
    return Standing(
        top=[(uuid.UUID(str(m)), int(float(s))) for m, s in pairs],
        rank=None if rank_raw is None else int(str(rank_raw)) + 1,
        score=None if score_raw is None else int(float(str(score_raw))),
        size=int(str(size_raw or 0)),
    )


_VISIBLE_ENTRIES = text(
    "SELECT e.user_id::text, e.score FROM challenge_entries e"
    " JOIN profiles p ON p.user_id = e.user_id"
    " WHERE e.challenge_id = :c AND p.leaderboard_visible"
)


def rebuild(db: Session, challenge_id: uuid.UUID, ends_at: datetime) -> None:
    """Write the board again from Postgres (``GT``: a concurrent newer score stays)."""
    rows = db.execute(_VISIBLE_ENTRIES, {"c": challenge_id}).all()
    if not rows:
        return
    board = board_key(challenge_id)
    kv = get_kv()
    for start in range(0, len(rows), REBUILD_BATCH * 10):
        pipe = kv.pipeline()
        for chunk in range(start, min(start + REBUILD_BATCH * 10, len(rows)), REBUILD_BATCH):
            pipe.zadd(board, {u: s for u, s in rows[chunk : chunk + REBUILD_BATCH]}, gt=True)
        pipe.expireat(board, int((ends_at + KEEP_AFTER_END).timestamp()))
        pipe.exec()
    count("ChallengeBoardRebuilt")

"""Challenge use cases: create (authors), list, join, and the leaderboard.

Scores are not moved here: the activity hook (``lectern.challenges.scoring``) moves them
in the transaction of the activity that earns them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from lectern.badges.models import Badge
from lectern.catalog import access as catalog_access
from lectern.catalog.models import Course
from lectern.challenges import access, boards
from lectern.challenges.models import Challenge, ChallengeEntry
from lectern.challenges.schemas import (
    BoardEntryOut,
    ChallengeBoardOut,
    ChallengeIn,
    ChallengeOut,
    ChallengePage,
    EntryOut,
    MyStandingOut,
    Status,
)
from lectern.core.pagination import keyset_rows
from lectern.core.principal import Principal
from lectern.errors import Conflict, DependencyUnavailable, InvalidField, NotFound
from lectern.identity.models import DELETED_USER_NAME, Profile
from lectern.observability import count, get_logger

ENDED = "The challenge has ended."
ALREADY_JOINED = "You already joined this challenge."

logger = get_logger()


def _now() -> datetime:
    return datetime.now(UTC)


def status_of(starts_at: datetime, ends_at: datetime, now: datetime) -> Status:
    if now < starts_at:
        return Status.upcoming
    return Status.active if now < ends_at else Status.ended


def _out(challenge: Any, score: int | None, completed_at: datetime | None) -> ChallengeOut:
    return ChallengeOut(
        id=challenge.id,
        title=challenge.title,
        description=challenge.description,
        difficulty=challenge.difficulty,
        starts_at=challenge.starts_at,
        ends_at=challenge.ends_at,
        metric=challenge.metric,
        course_id=challenge.course_id,
        target=challenge.target,
        badge_id=challenge.badge_id,
        status=status_of(challenge.starts_at, challenge.ends_at, _now()),
        joined=score is not None,
        my_score=score,
        completed_at=completed_at,
    )


def create(db: Session, principal: Principal, data: ChallengeIn) -> ChallengeOut:
    """An author's challenge; one set on a course needs the right to change that course."""
    if data.course_id is not None:
        catalog_access.course_for_edit(db, principal, data.course_id)
    if data.badge_id is not None and db.get(Badge, data.badge_id) is None:
        raise InvalidField("badge_id", "no such badge")
    challenge = Challenge(
        title=data.title,
        description=data.description,
        difficulty=data.difficulty.value,
        starts_at=data.starts_at.astimezone(UTC),
        ends_at=data.ends_at.astimezone(UTC),
        metric=data.metric.value,
        course_id=data.course_id,
        target=data.target,
        badge_id=data.badge_id,
        created_by=principal.user_id,
    )
    db.add(challenge)
    db.flush()
    out = _out(challenge, None, None)
    db.commit()
    count("ChallengeCreated")
    return out


def _columns() -> tuple[Any, ...]:
    return (
        Challenge.id,
        Challenge.title,
        Challenge.description,
        Challenge.difficulty,
        Challenge.starts_at,
        Challenge.ends_at,
        Challenge.metric,
        Challenge.course_id,
        Challenge.target,
        Challenge.badge_id,
        ChallengeEntry.score,
        ChallengeEntry.completed_at,
    )


def list_challenges(
    db: Session, principal: Principal, status: Status | None, *, limit: int, cursor: str | None
) -> ChallengePage:
    """Challenges the caller may see, newest start first, with their own score."""
    now = _now()
    statement = (
        select(*_columns())
        .outerjoin(Course, Course.id == Challenge.course_id)
        .outerjoin(
            ChallengeEntry,
            and_(
                ChallengeEntry.challenge_id == Challenge.id,
                ChallengeEntry.user_id == principal.user_id,
            ),
        )
        .where(access.visible(principal))
    )
    if status is Status.upcoming:
        statement = statement.where(Challenge.starts_at > now)
    elif status is Status.active:
        statement = statement.where(Challenge.starts_at <= now, Challenge.ends_at > now)
    elif status is Status.ended:
        statement = statement.where(Challenge.ends_at <= now)
    rows, next_cursor = keyset_rows(
        db, statement, Challenge.starts_at, Challenge.id, limit=limit, cursor=cursor
    )
    return ChallengePage(
        items=[_out(r, r.score, r.completed_at) for r in rows], next_cursor=next_cursor
    )


def get(db: Session, principal: Principal, challenge_id: uuid.UUID) -> ChallengeOut:
    challenge = access.challenge_for_view(db, principal, challenge_id)
    entry = db.get(ChallengeEntry, (challenge_id, principal.user_id))
    return _out(
        challenge,
        entry.score if entry else None,
        entry.completed_at if entry else None,
    )


def join(db: Session, principal: Principal, challenge_id: uuid.UUID) -> EntryOut:
    """Join before or during the window; only activity from now on counts."""
    challenge = access.challenge_for_view(db, principal, challenge_id)
    now = _now()
    if challenge.ends_at <= now:
        raise Conflict(ENDED)
    row = db.execute(
        insert(ChallengeEntry)
        .values(challenge_id=challenge.id, user_id=principal.user_id, joined_at=now)
        .on_conflict_do_nothing(index_elements=["challenge_id", "user_id"])
        .returning(ChallengeEntry.joined_at)
    ).one_or_none()
    if row is None:
        raise Conflict(ALREADY_JOINED)
    visible = db.scalar(
        select(Profile.leaderboard_visible).where(Profile.user_id == principal.user_id)
    )
    db.commit()
    count("ChallengeJoined")
    if visible:
        boards.joined(challenge.id, principal.user_id, challenge.ends_at)
    return EntryOut(challenge_id=challenge.id, score=0, joined_at=row.joined_at, completed_at=None)


# The board from Postgres alone, when Upstash is down: the top by the index on (challenge,
# score, user), and the caller's rank as a count of the visible entrants above them.
_PG_TOP = text(
    "SELECT e.user_id, e.score FROM challenge_entries e JOIN profiles p ON p.user_id = e.user_id"
    " WHERE e.challenge_id = :c AND p.leaderboard_visible"
    " ORDER BY e.score DESC, e.user_id DESC LIMIT :n"
)
_PG_RANK = text(
    "SELECT 1 + count(*) FROM challenge_entries e JOIN profiles p ON p.user_id = e.user_id"
    " WHERE e.challenge_id = :c AND p.leaderboard_visible"
    " AND (e.score, e.user_id) > (:score, :u)"
)
_PG_SIZE = text(
    "SELECT count(*) FROM challenge_entries e JOIN profiles p ON p.user_id = e.user_id"
    " WHERE e.challenge_id = :c AND p.leaderboard_visible"
)


def _standing_from_postgres(
    db: Session, challenge_id: uuid.UUID, user_id: uuid.UUID, score: int | None, limit: int
) -> boards.Standing:
    top = [(r.user_id, r.score) for r in db.execute(_PG_TOP, {"c": challenge_id, "n": limit})]
    visible = db.scalar(select(Profile.leaderboard_visible).where(Profile.user_id == user_id))
    rank = None
    if score is not None and visible:
        rank = int(
            db.execute(_PG_RANK, {"c": challenge_id, "score": score, "u": user_id}).scalar_one()
        )
    size = int(db.execute(_PG_SIZE, {"c": challenge_id}).scalar_one())
    return boards.Standing(top=top, rank=rank, score=score, size=size)


def leaderboard(
    db: Session, principal: Principal, challenge_id: uuid.UUID, *, limit: int
) -> ChallengeBoardOut:
    """Top ``limit`` and the caller's standing: one query for the challenge (with its
    course's visibility) and the caller's entry, one KV call, one query for names."""
    head = db.execute(
        select(
            Challenge.ends_at,
            Challenge.course_id,
            Course.published_at,
            Course.owner_id,
            ChallengeEntry.score,
            ChallengeEntry.completed_at,
        )
        .outerjoin(Course, Course.id == Challenge.course_id)
        .outerjoin(
            ChallengeEntry,
            and_(
                ChallengeEntry.challenge_id == Challenge.id,
                ChallengeEntry.user_id == principal.user_id,
            ),
        )
        .where(Challenge.id == challenge_id)
    ).one_or_none()
    if head is None or not access.may_see(
        principal, head.course_id, head.published_at, head.owner_id
    ):
        raise NotFound(access.CHALLENGE_NOT_FOUND)
    joined = head.score is not None
    try:
        standing = boards.standing(challenge_id, principal.user_id, limit)
        if standing.size == 0 and db.scalar(
            select(ChallengeEntry.user_id).where(ChallengeEntry.challenge_id == challenge_id)
        ):
            # The set is gone (flushed, or expired after the challenge): from Postgres.
            boards.rebuild(db, challenge_id, head.ends_at)
            standing = boards.standing(challenge_id, principal.user_id, limit)
    except DependencyUnavailable as exc:
        logger.warning("challenge board from postgres", extra={"reason": str(exc)})
        count("ChallengeBoardFromPostgres")
        standing = _standing_from_postgres(db, challenge_id, principal.user_id, head.score, limit)
    names: dict[uuid.UUID, tuple[str, bool]] = {}
    if standing.top:
        names = {
            r.user_id: (r.display_name, r.leaderboard_visible)
            for r in db.execute(
                select(Profile.user_id, Profile.display_name, Profile.leaderboard_visible).where(
                    Profile.user_id.in_([u for u, _ in standing.top])
                )
            )
        }
    entries = [
        BoardEntryOut(
            rank=rank,
            user_id=user_id,
            # Erased since the board was written: the rank stays, the name does not.
            name=names.get(user_id, (DELETED_USER_NAME, True))[0],
            score=score,
        )
        for rank, (user_id, score) in enumerate(standing.top, start=1)
        # One who chose to keep off since is left out until the refresh drops them.
        if names.get(user_id, ("", True))[1]
    ]
    return ChallengeBoardOut(
        challenge_id=challenge_id,
        participants=standing.size,
        entries=entries,
        me=MyStandingOut(
            joined=joined,
            rank=standing.rank if joined else None,
            score=head.score,
            completed_at=head.completed_at,
        ),
    )

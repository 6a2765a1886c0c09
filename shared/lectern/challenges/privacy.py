"""A learner's challenges in the export, and off the boards on erasure."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.challenges import boards
from lectern.challenges.models import Challenge, ChallengeEntry
from lectern.core import activity


def standings(db: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Each challenge joined, by title, with the score Postgres holds."""
    rows = db.execute(
        select(Challenge.id, Challenge.title, ChallengeEntry.score, ChallengeEntry.completed_at)
        .join(ChallengeEntry, ChallengeEntry.challenge_id == Challenge.id)
        .where(ChallengeEntry.user_id == user_id)
        .order_by(ChallengeEntry.joined_at)
    ).all()
    return [
        {
            "challenge_id": str(r.id),
            "title": r.title,
            "score": r.score,
            "completed_at": r.completed_at.isoformat() if r.completed_at else None,
        }
        for r in rows
    ]


def erase(db: Session, user_id: uuid.UUID) -> None:
    """Before the entries go (with the personal tables): take the learner off their
    boards once the erasure commits."""
    joined = list(
        db.scalars(select(ChallengeEntry.challenge_id).where(ChallengeEntry.user_id == user_id))
    )
    if joined:
        activity.after_commit(db, lambda: boards.forget(joined, user_id))

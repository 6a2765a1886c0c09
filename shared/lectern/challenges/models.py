"""Challenges, who joined them, and the ledger of what counted.

A score is the sum of its entry's credits: one credit per (challenge, learner, kind,
source event), so a retried request adds nothing (``challenge_credits``' key), and the
entry's ``score`` moves by the credits one statement inserted, under the entry's row lock.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column


class Metric(enum.StrEnum):
    xp = "xp"
    correct_answers = "correct_answers"
    lessons_completed = "lessons_completed"


class ChallengeDifficulty(enum.StrEnum):
    easy = "easy"
    medium = "medium"
    hard = "hard"


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Challenge(Base):
    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint(_one_of("metric", Metric), name="metric_known"),
        CheckConstraint(_one_of("difficulty", ChallengeDifficulty), name="difficulty_known"),
        # Lists by status, newest start first.
        Index("ix_challenges_starts_at_id", "starts_at", "id"),
        Index("ix_challenges_ends_at", "ends_at"),
        Index("ix_challenges_course_id", "course_id"),
        Index("ix_challenges_badge_id", "badge_id"),
        Index("ix_challenges_created_by", "created_by"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    difficulty: Mapped[str] = mapped_column(Text, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    metric: Mapped[str] = mapped_column(Text, nullable=False)
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE")
    )
    target: Mapped[int] = mapped_column(Integer, nullable=False)
    # Awarded on reaching the target (the badges context's hook reads it).
    badge_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("badges.id", ondelete="SET NULL")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()


class ChallengeEntry(Base):
    __tablename__ = "challenge_entries"
    __table_args__ = (
        CheckConstraint("score >= 0", name="score_not_negative"),
        # The activity hook finds a learner's entries; the export and erasure too.
        Index("ix_challenge_entries_user_id_challenge_id", "user_id", "challenge_id"),
        # The board from Postgres (a rebuild, or Upstash down), best first.
        Index(
            "ix_challenge_entries_challenge_id_score",
            "challenge_id",
            text("score DESC"),
            text("user_id DESC"),
        ),
        # The scheduled board refresh reads what changed since its last run.
        Index("ix_challenge_entries_updated_at", "updated_at"),
    )

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_at_column()


class ChallengeCredit(Base):
    """One counted activity: the key makes a replay of the same event count nothing."""

    __tablename__ = "challenge_credits"
    __table_args__ = (
        ForeignKeyConstraint(
            ["challenge_id", "user_id"],
            ["challenge_entries.challenge_id", "challenge_entries.user_id"],
            ondelete="CASCADE",
            name="fk_challenge_credits_entry",
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_challenge_credits_user_id", "user_id"),
    )

    challenge_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    source_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    credited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

"""Badges (a rule each) and their awards: at most one per learner and badge.

An award's id is the public id of its Open Badges 3.0 credential. The learner appears in
it only as ``identity_hash``: SHA-256 of their email and the award's own salt, fixed at
the award (the address itself is never in the credential).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column


class RuleType(enum.StrEnum):
    course_completed = "course_completed"
    challenge_completed = "challenge_completed"
    streak_days = "streak_days"
    xp = "xp"


THRESHOLD_RULES = (RuleType.streak_days, RuleType.xp)


class Badge(Base):
    __tablename__ = "badges"
    __table_args__ = (
        CheckConstraint(
            f"rule_type IN ({', '.join(repr(r.value) for r in RuleType)})", name="rule_type_known"
        ),
        CheckConstraint(
            "rule_type NOT IN ('streak_days', 'xp') OR (threshold IS NOT NULL AND threshold > 0)",
            name="threshold_rules_have_threshold",
        ),
        CheckConstraint(
            "course_id IS NULL OR rule_type = 'course_completed'", name="course_only_for_courses"
        ),
        CheckConstraint(
            "challenge_id IS NULL OR rule_type = 'challenge_completed'",
            name="challenge_only_for_challenges",
        ),
        # The activity hook reads the badges of a rule type.
        Index("ix_badges_rule_type", "rule_type"),
        Index("ix_badges_course_id", "course_id"),
        Index("ix_badges_challenge_id", "challenge_id"),
        Index("ix_badges_created_by", "created_by"),
        Index("ix_badges_created_at_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    image_url: Mapped[str | None] = mapped_column(Text)
    rule_type: Mapped[str] = mapped_column(Text, nullable=False)
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE")
    )
    # challenges.badge_id points back here: this side is added after both tables exist.
    challenge_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("challenges.id", ondelete="CASCADE", use_alter=True),
    )
    threshold: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()


class BadgeAward(Base):
    __tablename__ = "badge_awards"
    __table_args__ = (
        # At most once per learner: concurrent activities meeting one rule award once.
        UniqueConstraint("badge_id", "user_id", name="uq_badge_awards_badge_id_user_id"),
        Index("ix_badge_awards_user_id_awarded_at", "user_id", "awarded_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    badge_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("badges.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    awarded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    identity_salt: Mapped[str] = mapped_column(Text, nullable=False)
    identity_hash: Mapped[str] = mapped_column(Text, nullable=False)
    # A revoked credential answers 404; the row stays so the rule does not award it again.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

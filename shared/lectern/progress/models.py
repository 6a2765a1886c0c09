"""Learning progress: enrollments, lesson completions, certificates and the XP ledger."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        Index("ix_enrollments_user_id_enrolled_at", "user_id", "enrolled_at"),
        # The roster: a course's enrollments newest first, by keyset (enrolled_at, id).
        Index("ix_enrollments_course_id_enrolled_at_id", "course_id", "enrolled_at", "id"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_fraction"),
        CheckConstraint("completed_lessons >= 0", name="completed_lessons_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    course_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE"), nullable=False
    )
    completed_lessons: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    progress: Mapped[float] = mapped_column(Float, nullable=False, server_default=text("0"))
    enrolled_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The learner's latest lesson completion or quiz answer in the course (the roster's).
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LessonCompletion(Base):
    """One row per learner and lesson: the primary key makes completion idempotent."""

    __tablename__ = "lesson_completions"
    __table_args__ = (Index("ix_lesson_completions_user_id_course_id", "user_id", "course_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("lessons.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    course_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE"), nullable=False
    )
    completed_at: Mapped[datetime] = created_at_column()


class Certificate(Base):
    """Issued once per learner and course; the code is the public proof.

    The course title is kept, so a certificate outlives its course being deleted.
    """

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="SET NULL"), index=True
    )
    course_title: Mapped[str] = mapped_column(Text, nullable=False)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    issued_at: Mapped[datetime] = created_at_column()
    # The course's owner when it was issued: the verification names who certifies.
    issued_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    )


class XpAward(Base):
    """The XP ledger: one award per (learner, reason, source), so a retry never pays twice."""

    __tablename__ = "xp_awards"
    __table_args__ = (
        UniqueConstraint("user_id", "reason", "source_id"),
        Index("ix_xp_awards_user_id_awarded_at", "user_id", "awarded_at"),
        Index("ix_xp_awards_awarded_at", "awarded_at"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    source_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    awarded_at: Mapped[datetime] = created_at_column()

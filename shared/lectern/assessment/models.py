"""Question bank, exams and answers, and the per-learner and per-question counters."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class QuestionType(enum.StrEnum):
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    true_false = "true_false"
    short_answer = "short_answer"


class Difficulty(enum.StrEnum):
    easy = "easy"
    medium = "medium"
    hard = "hard"


class ExamMode(enum.StrEnum):
    practice = "practice"
    exam = "exam"


class ExamStatus(enum.StrEnum):
    active = "active"
    paused = "paused"
    completed = "completed"


question_type_enum = Enum(QuestionType, name="question_type", values_callable=_values)
difficulty_enum = Enum(Difficulty, name="difficulty", values_callable=_values)
exam_mode_enum = Enum(ExamMode, name="exam_mode", values_callable=_values)
exam_status_enum = Enum(ExamStatus, name="exam_status", values_callable=_values)


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        # Exam selection walks one of these from a random point of random_key: its cost
        # depends on the exam's size, not on the bank's.
        Index("ix_questions_topic_difficulty_random_key", "topic", "difficulty", "random_key"),
        Index("ix_questions_subject_difficulty_random_key", "subject", "difficulty", "random_key"),
        Index("ix_questions_system_difficulty_random_key", "system", "difficulty", "random_key"),
        Index("ix_questions_difficulty_random_key", "difficulty", "random_key"),
        Index("ix_questions_random_key", "random_key"),
        Index("ix_questions_owner_id_id", "owner_id", "id"),
        Index("ix_questions_tags", "tags", postgresql_using="gin"),
        CheckConstraint("random_key >= 0 AND random_key < 1", name="random_key_unit"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    type: Mapped[QuestionType] = mapped_column(question_type_enum, nullable=False)
    difficulty: Mapped[Difficulty] = mapped_column(difficulty_enum, nullable=False)
    topic: Mapped[str] = mapped_column(Text, nullable=False)
    subject: Mapped[str | None] = mapped_column(Text)
    system: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    random_key: Mapped[float] = mapped_column(
        Float, nullable=False, server_default=text("random()")
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class QuestionOption(Base):
    __tablename__ = "question_options"
    __table_args__ = (Index("ix_question_options_question_id_position", "question_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    question_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("questions.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    is_correct: Mapped[bool] = mapped_column(Boolean, nullable=False)


# A question's counters are spread over shards: each answer adds to its learner's shard,
# so a class answering one question at once does not queue on one row. 16 shards: a
# class of hundreds waits on a row a sixteenth as often, and a read sums at most 16 rows.
QUESTION_STAT_SHARDS = 16


def stat_shard(user_id: uuid.UUID) -> int:
    """The learner's shard of every question's counters (UUIDv7's low bits are random)."""
    return user_id.int % QUESTION_STAT_SHARDS


class QuestionStatShard(Base):
    """One shard of a question's counters, apart from the question row so answers don't
    rewrite it."""

    __tablename__ = "question_stat_shards"
    __table_args__ = (
        CheckConstraint("correct >= 0 AND correct <= answered", name="correct_within_answered"),
        CheckConstraint(f"shard >= 0 AND shard < {QUESTION_STAT_SHARDS}", name="shard_in_range"),
    )

    question_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    answered: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    correct: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


_question_totals = (
    select(
        QuestionStatShard.question_id,
        cast(func.sum(QuestionStatShard.answered), Integer).label("answered"),
        cast(func.sum(QuestionStatShard.correct), Integer).label("correct"),
    )
    .group_by(QuestionStatShard.question_id)
    .subquery("question_stats")
)


class QuestionStats(Base):
    """A question's counters as one row: the sum of its shards (read only). Filters on
    ``question_id`` reach the shards' primary key; to join many questions, sum their
    shards in a lateral subquery instead."""

    __table__ = _question_totals
    __mapper_args__ = {"primary_key": [_question_totals.c.question_id]}

    question_id: Mapped[uuid.UUID]
    answered: Mapped[int]
    correct: Mapped[int]


class Exam(Base):
    __tablename__ = "exams"
    __table_args__ = (
        Index("ix_exams_user_id_created_at", "user_id", "created_at"),
        # A course's quiz attempts, per learner (the roster and a learner's detail).
        Index("ix_exams_quiz_id_user_id", "quiz_id", "user_id"),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint(
            "time_limit_seconds IS NULL OR time_limit_seconds > 0", name="time_limit_positive"
        ),
        CheckConstraint("pauses_left IS NULL OR pauses_left >= 0", name="pauses_left_not_negative"),
        CheckConstraint(
            "pause_seconds_left IS NULL OR pause_seconds_left >= 0",
            name="pause_seconds_left_not_negative",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    mode: Mapped[ExamMode] = mapped_column(exam_mode_enum, nullable=False)
    status: Mapped[ExamStatus] = mapped_column(
        exam_status_enum, nullable=False, server_default=ExamStatus.active.value
    )
    adaptive: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    # The filters the exam was drawn with (topic, subject, system, difficulty).
    criteria: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer)
    # While active with a time limit: when time runs out. While paused: the time left.
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    remaining_seconds: Mapped[float | None] = mapped_column(Float)
    # Exam mode's pause allowance (NULL: unlimited, as in practice mode): pauses left, and
    # paused seconds left that stop the clock; past them the clock runs while paused.
    pauses_left: Mapped[int | None] = mapped_column(Integer)
    pause_seconds_left: Mapped[float | None] = mapped_column(Float)
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    correct_count: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    # An attempt at a course quiz; None for an exam drawn from the bank. A deleted quiz
    # leaves its attempts as plain exams.
    quiz_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("quizzes.id", ondelete="SET NULL")
    )


class ExamQuestion(Base):
    __tablename__ = "exam_questions"

    exam_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("exams.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("questions.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class ExamAnswer(Base):
    __tablename__ = "exam_answers"
    __table_args__ = (
        # One answer per question of an exam, whatever races the requests run.
        UniqueConstraint("exam_id", "question_id"),
        # Only a question the exam holds can be answered.
        ForeignKeyConstraint(
            ["exam_id", "question_id"],
            ["exam_questions.exam_id", "exam_questions.question_id"],
            ondelete="CASCADE",
            name="fk_exam_answers_exam_question",
        ),
        # The scheduled success-rate refresh reads the answers given since its last run.
        Index("ix_exam_answers_answered_at", "answered_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    exam_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    question_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    option_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'::uuid[]")
    )
    text: Mapped[str | None] = mapped_column(Text)
    is_correct: Mapped[bool] = mapped_column(Boolean, nullable=False)
    answered_at: Mapped[datetime] = created_at_column()


class LearnerStats(Base):
    __tablename__ = "learner_stats"
    __table_args__ = (
        CheckConstraint("correct >= 0 AND correct <= answered", name="correct_within_answered"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    answered: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    correct: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class LearnerTopicStats(Base):
    __tablename__ = "learner_topic_stats"
    __table_args__ = (
        CheckConstraint("correct >= 0 AND correct <= answered", name="correct_within_answered"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(Text, primary_key=True)
    answered: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    correct: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class QuestionExposure(Base):
    """When a learner last drew a question, so new exams prefer what they have not seen."""

    __tablename__ = "question_exposures"

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("questions.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Quiz(Base):
    """A course's quiz: a fixed list of its author's questions (``quiz_questions``) or a
    draw rule over them (``draw_size`` with optional topic and difficulty). An attempt is
    an exam (``exams.quiz_id``), so answers, XP and performance stay in one place."""

    __tablename__ = "quizzes"
    __table_args__ = (
        Index("ix_quizzes_course_id_created_at", "course_id", "created_at"),
        CheckConstraint(
            "time_limit_seconds IS NULL OR time_limit_seconds > 0", name="time_limit_positive"
        ),
        CheckConstraint("draw_size IS NULL OR draw_size > 0", name="draw_size_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    course_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE"), nullable=False
    )
    # The lesson it belongs with, if any; the quiz outlives the lesson.
    lesson_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("lessons.id", ondelete="SET NULL"), index=True
    )
    # Whose questions it holds or draws from.
    author_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(Text, nullable=False)
    mode: Mapped[ExamMode] = mapped_column(exam_mode_enum, nullable=False)
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer)
    draw_size: Mapped[int | None] = mapped_column(Integer)
    draw_topic: Mapped[str | None] = mapped_column(Text)
    draw_difficulty: Mapped[Difficulty | None] = mapped_column(difficulty_enum)
    created_at: Mapped[datetime] = created_at_column()


class QuizQuestion(Base):
    __tablename__ = "quiz_questions"

    quiz_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("quizzes.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("questions.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)

"""Progress routes' bodies: ``*In`` refuse unknown fields, ``*Out`` are allow-lists."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from lectern.assessment.models import ExamStatus
from lectern.progress.leaderboards import Period


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnrollIn(_In):
    """Enrolling takes no input: a body that tries to set progress (or anything) is a 422."""


class CompleteIn(_In):
    """Completing takes no input: progress and XP are the server's to compute."""


class EnrollmentOut(BaseModel):
    course_id: uuid.UUID
    progress: float
    completed_lessons: int
    enrolled_at: datetime
    completed_at: datetime | None


class EnrollmentItemOut(EnrollmentOut):
    course_title: str
    total_lessons: int


class CertificateRefOut(BaseModel):
    code: str
    issued_at: datetime


class CompletionOut(BaseModel):
    progress: float
    completed_lessons: int
    total_lessons: int
    xp_awarded: int
    certificate: CertificateRefOut | None


class CertificateOut(BaseModel):
    code: str
    course_id: uuid.UUID | None  # None once the course was deleted; the certificate stays
    course_title: str
    issued_at: datetime
    verify_url: str


class CertificateVerificationOut(BaseModel):
    """The public proof: the learner's and the issuing instructor's display names, never
    their emails."""

    code: str
    course_title: str
    learner_name: str
    issued_at: datetime
    issuer_name: str | None = Field(
        description="The instructor whose course issued it, when known."
    )


class ProgressStatsOut(BaseModel):
    xp: int
    level: int
    streak_days: int
    lessons_completed: int
    courses_completed: int
    answered: int
    accuracy: float
    weekly_xp: int


class LeaderboardEntryOut(BaseModel):
    rank: int
    user_id: uuid.UUID
    name: str
    xp: int


class StandingOut(BaseModel):
    rank: int | None  # None while the caller has no XP on this board
    xp: int


class LeaderboardOut(BaseModel):
    period: Period
    entries: list[LeaderboardEntryOut]
    me: StandingOut


def _is_none(value: object) -> bool:
    return value is None


class LearnerRefOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None = Field(
        default=None, exclude_if=_is_none, description="Present for admins only."
    )


class RosterItemOut(BaseModel):
    user: LearnerRefOut
    progress: float
    completed_lessons: int
    enrolled_at: datetime
    completed_at: datetime | None
    last_activity_at: datetime | None
    quiz_attempts: int = Field(description="Completed attempts at the course's quizzes.")
    quiz_average: float | None = Field(description="Their mean score, 0..1; null before any.")


class QuizAttemptOut(BaseModel):
    quiz_id: uuid.UUID
    quiz_title: str
    status: ExamStatus
    score: float | None
    started_at: datetime
    completed_at: datetime | None


class LearnerDetailOut(BaseModel):
    user: LearnerRefOut
    progress: float
    completed_lessons: int
    enrolled_at: datetime
    completed_at: datetime | None
    last_activity_at: datetime | None
    lessons_completed: list[uuid.UUID]
    quiz_attempts: list[QuizAttemptOut]

"""What a client may send to create a share, and the allow-listed views a link opens.

The public views carry no email, no user id, no option or question ids, and, until an
exam is completed, nothing that tells a right answer from a wrong one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from lectern.assessment.models import ExamMode, ExamStatus, QuestionType
from lectern.sharing.models import ShareEntity

DEFAULT_EXPIRY_DAYS = 30
MAX_EXPIRY_DAYS = 365


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_type: ShareEntity
    entity_id: uuid.UUID
    # Every link expires: null is refused rather than read as "never". Strict, so `true`
    # or "30" is not taken for a number of days.
    expires_in_days: Annotated[int, Field(ge=1, le=MAX_EXPIRY_DAYS, strict=True)] = (
        DEFAULT_EXPIRY_DAYS
    )


class ShareOut(BaseModel):
    """A share in the owner's list: never its token, which was shown once."""

    id: uuid.UUID
    entity_type: ShareEntity
    entity_id: uuid.UUID
    expires_at: datetime | None
    revoked: bool
    created_at: datetime


class ShareCreatedOut(BaseModel):
    id: uuid.UUID
    entity_type: ShareEntity
    entity_id: uuid.UUID
    token: str
    url: str
    expires_at: datetime
    created_at: datetime


class SharedLessonOutline(BaseModel):
    id: uuid.UUID
    title: str
    duration_minutes: int | None


class SharedModule(BaseModel):
    title: str
    position: int
    lessons: list[SharedLessonOutline]


class SharedCourse(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    category: str | None
    tags: list[str]
    owner_name: str
    modules: list[SharedModule]


class SharedCourseView(BaseModel):
    type: Literal["course"] = "course"
    course: SharedCourse


class SharedLesson(BaseModel):
    id: uuid.UUID
    title: str
    content: str
    duration_minutes: int | None
    course_title: str


class SharedLessonView(BaseModel):
    type: Literal["lesson"] = "lesson"
    lesson: SharedLesson


class SharedOption(BaseModel):
    text: str


class SharedQuestion(BaseModel):
    prompt: str
    type: QuestionType
    options: list[SharedOption]


class SharedReviewedOption(BaseModel):
    text: str
    is_correct: bool


class SharedReviewedQuestion(BaseModel):
    """A question of a completed exam: the key, the explanation, and how the learner did."""

    prompt: str
    type: QuestionType
    options: list[SharedReviewedOption]
    explanation: str | None
    # None when the learner left the question unanswered.
    answered_correctly: bool | None


class SharedExam(BaseModel):
    mode: ExamMode
    status: ExamStatus
    size: int
    score: float | None
    created_at: datetime
    submitted_at: datetime | None
    questions: list[SharedQuestion] | list[SharedReviewedQuestion]


class SharedExamView(BaseModel):
    type: Literal["exam"] = "exam"
    exam: SharedExam


SharedView = Annotated[
    SharedCourseView | SharedLessonView | SharedExamView, Field(discriminator="type")
]

"""What a client may send (``*In``: allow-lists, unknown fields refused) and what it gets back.

Exam views never carry ``is_correct`` or explanations unless the exam's rules reveal
them; a short-answer question's options are its accepted answers, so they are never
shown as options at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from lectern.assessment.models import Difficulty, ExamMode, ExamStatus, QuestionType
from lectern.core.pagination import (
    CURSOR_DESCRIPTION,
    DEFAULT_PAGE_SIZE,
    LIMIT_DESCRIPTION,
    MAX_CURSOR,
    MAX_PAGE_SIZE,
)

MAX_OPTIONS = 10
MAX_TAGS = 20
MAX_BULK = 500
MAX_EXAM_SIZE = 200
MAX_TIME_LIMIT_MINUTES = 600


def normalize_answer(text: str) -> str:
    """Short answers match whatever their case and spacing."""
    return " ".join(text.split()).casefold()


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Explanation = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Topic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_dedupe)]
OptionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionOptionIn(_In):
    text: OptionText
    is_correct: StrictBool


def options_problem(qtype: QuestionType, options: Sequence[QuestionOptionIn]) -> str | None:
    """Why these options do not fit a question of this type, or None when they do."""
    count = len(options)
    correct = sum(1 for o in options if o.is_correct)
    if len({normalize_answer(o.text) for o in options}) != count:
        return "two options have the same text"
    match qtype:
        case QuestionType.single_choice:
            if count < 2 or correct != 1:
                return "single_choice needs at least 2 options, exactly 1 of them correct"
        case QuestionType.multiple_choice:
            if count < 2 or correct < 1:
                return "multiple_choice needs at least 2 options, at least 1 of them correct"
        case QuestionType.true_false:
            if count != 2 or correct != 1:
                return "true_false needs exactly 2 options, exactly 1 of them correct"
        case QuestionType.short_answer:
            if count < 1 or correct != count:
                return "short_answer needs at least 1 option, all correct (the accepted answers)"
    return None


Options = Annotated[list[QuestionOptionIn], Field(max_length=MAX_OPTIONS)]


class QuestionIn(_In):
    # Field order matters: ``options`` is checked against ``type``, validated before it.
    prompt: Prompt
    type: QuestionType
    difficulty: Difficulty
    topic: Topic
    subject: Label | None = None
    system: Label | None = None
    course_id: uuid.UUID | None = None
    options: Options
    explanation: Explanation | None = None
    tags: Tags = Field(default_factory=list)

    @field_validator("options")
    @classmethod
    def _options_fit_type(
        cls, options: list[QuestionOptionIn], info: ValidationInfo
    ) -> list[QuestionOptionIn]:
        qtype = info.data.get("type")
        if qtype is not None and (problem := options_problem(qtype, options)):
            raise ValueError(problem)
        return options


class QuestionBulkIn(_In):
    questions: list[QuestionIn] = Field(min_length=1, max_length=MAX_BULK)


class QuestionUpdateIn(_In):
    """Only what is sent changes; ``options`` replaces the whole list (checked against the
    question's type). ``subject``, ``system`` and ``explanation`` may be cleared with null."""

    prompt: Prompt | None = None
    difficulty: Difficulty | None = None
    topic: Topic | None = None
    subject: Label | None = None
    system: Label | None = None
    explanation: Explanation | None = None
    tags: Tags | None = None
    options: Options | None = None

    # Validators do not run on defaults, so this only fires on an explicit null.
    @field_validator("prompt", "difficulty", "topic", "tags", "options")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class QuestionQuery(BaseModel):
    topic: Topic | None = None
    difficulty: Difficulty | None = None
    subject: Label | None = None
    system: Label | None = None
    course_id: uuid.UUID | None = None
    # A query model's fields are its parameters: the same as ``lectern.api.params``'s.
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=LIMIT_DESCRIPTION
    )
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR, description=CURSOR_DESCRIPTION)


class QuestionOptionOut(BaseModel):
    id: uuid.UUID
    text: str
    is_correct: bool


class QuestionStatsOut(BaseModel):
    answered: int
    correct: int


class QuestionOut(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    course_id: uuid.UUID | None
    prompt: str
    type: QuestionType
    difficulty: Difficulty
    topic: str
    subject: str | None
    system: str | None
    explanation: str | None
    tags: list[str]
    options: list[QuestionOptionOut]
    stats: QuestionStatsOut
    created_at: datetime
    updated_at: datetime


class QuestionBulkOut(BaseModel):
    created: int
    ids: list[uuid.UUID]


class ExamIn(_In):
    # Strict, as the spec types them: "3", 3.0 or 1 for true are refused, not coerced.
    size: int = Field(ge=1, le=MAX_EXAM_SIZE, strict=True)
    topic: Topic | None = None
    subject: Label | None = None
    system: Label | None = None
    difficulty: Difficulty | None = None
    mode: ExamMode
    adaptive: StrictBool = False
    time_limit_minutes: int | None = Field(
        default=None, ge=1, le=MAX_TIME_LIMIT_MINUTES, strict=True
    )

    def criteria(self) -> ExamCriteria:
        """The filters this exam is drawn by: the one place they are taken from a request."""
        return ExamCriteria(
            topic=self.topic, subject=self.subject, system=self.system, difficulty=self.difficulty
        )


# An exam's filters, in one shape: the draw reads it (``lectern.assessment.selection``),
# the exam stores it (``stored``) and its views show it. No docstring: it would become
# the API schema's description.
class ExamCriteria(BaseModel):
    topic: str | None = None
    subject: str | None = None
    system: str | None = None
    difficulty: Difficulty | None = None

    def stored(self) -> dict[str, str]:
        """The JSON kept in ``exams.criteria``: the filters that were given, as strings."""
        return self.model_dump(mode="json", exclude_none=True)


def _is_none(value: object) -> bool:
    return value is None


def _revealed(description: str) -> Any:
    """A field that is left out of the JSON entirely until the exam's rules reveal it."""
    return Field(default=None, exclude_if=_is_none, description=description)


class ExamOptionOut(BaseModel):
    id: uuid.UUID
    text: str


class GivenAnswerOut(BaseModel):
    option_ids: list[uuid.UUID]
    text: str | None
    answered_at: datetime
    correct: bool | None = _revealed("Absent while an exam-mode exam is running.")


_REVEALED = "Present once answered in practice mode, and for all after completion."
_PAUSES_LEFT = "Exam mode: pauses this exam may still take. Null when unlimited (practice mode)."


class ExamQuestionOut(BaseModel):
    id: uuid.UUID
    position: int
    prompt: str
    type: QuestionType
    topic: str
    difficulty: Difficulty
    options: list[ExamOptionOut] = Field(description="Empty for short_answer questions.")
    answer: GivenAnswerOut | None = None
    explanation: str | None = _revealed(_REVEALED)
    correct_option_ids: list[uuid.UUID] | None = _revealed(_REVEALED + " Choice questions.")
    accepted_answers: list[str] | None = _revealed(_REVEALED + " short_answer questions.")


class ExamOut(BaseModel):
    id: uuid.UUID
    status: ExamStatus
    mode: ExamMode
    adaptive: bool
    size: int
    criteria: ExamCriteria
    time_limit_minutes: int | None
    deadline_at: datetime | None
    remaining_seconds: float | None
    pauses_left: int | None = Field(description=_PAUSES_LEFT)
    created_at: datetime
    submitted_at: datetime | None
    answered: int
    correct: int | None = Field(description="Practice mode, or once completed.")
    score: float | None = Field(description="correct / size, once completed.")
    questions: list[ExamQuestionOut]


class ExamAnswerIn(_In):
    question_id: uuid.UUID
    option_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_OPTIONS)
    text: OptionText | None = None


class ExamAnswerOut(BaseModel):
    """Practice mode says whether the answer was right; exam mode only that it was recorded."""

    question_id: uuid.UUID
    recorded: bool = True
    correct: bool | None = _revealed("Practice mode only.")
    explanation: str | None = _revealed("Practice mode only, when the question has one.")
    correct_option_ids: list[uuid.UUID] | None = _revealed("Practice mode, choice questions.")
    accepted_answers: list[str] | None = _revealed("Practice mode, short_answer questions.")


class ExamStateOut(BaseModel):
    id: uuid.UUID
    status: ExamStatus
    deadline_at: datetime | None
    remaining_seconds: float | None
    pauses_left: int | None = Field(description=_PAUSES_LEFT)


class ExamScoreOut(BaseModel):
    id: uuid.UUID
    status: ExamStatus
    score: float
    correct: int
    total: int


class ExamSummaryOut(BaseModel):
    id: uuid.UUID
    status: ExamStatus
    mode: ExamMode
    adaptive: bool
    size: int
    criteria: ExamCriteria
    answered: int
    score: float | None
    deadline_at: datetime | None
    created_at: datetime
    submitted_at: datetime | None


class TopicPerformanceOut(BaseModel):
    topic: str
    answered: int
    correct: int
    accuracy: float


class PerformanceOut(BaseModel):
    answered: int
    correct: int
    accuracy: float = Field(description="correct / answered; 0 before the first answer.")
    by_topic: list[TopicPerformanceOut]
    weak_topics: list[str] = Field(
        description="Topics with at least 3 answers and under 60% correct, weakest first."
    )


QuizTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class QuizDrawIn(_In):
    size: int = Field(ge=1, le=MAX_EXAM_SIZE, strict=True)
    topic: Topic | None = None
    difficulty: Difficulty | None = None


class QuizIn(_In):
    title: QuizTitle
    lesson_id: uuid.UUID | None = None
    mode: ExamMode
    time_limit_minutes: int | None = Field(
        default=None, ge=1, le=MAX_TIME_LIMIT_MINUTES, strict=True
    )
    question_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_EXAM_SIZE,
        description="A fixed list of the author's questions, in order (or give draw).",
    )
    draw: QuizDrawIn | None = Field(
        default=None, description="Draw from the author's questions at each attempt."
    )

    @field_validator("question_ids")
    @classmethod
    def _distinct(cls, value: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("a question is listed twice")
        return value


class QuizDrawOut(BaseModel):
    size: int
    topic: str | None
    difficulty: Difficulty | None


class QuizOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    lesson_id: uuid.UUID | None
    title: str
    mode: ExamMode
    time_limit_minutes: int | None
    question_count: int = Field(description="Questions an attempt holds (at most, for a draw).")
    draw: QuizDrawOut | None
    created_at: datetime


class QuizListOut(BaseModel):
    items: list[QuizOut]

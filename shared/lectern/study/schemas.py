"""Study bodies: what a learner may send (unknown fields refused) and what comes back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lectern.ai.schemas import AskUsage
from lectern.catalog.schemas import Tags
from lectern.core.times import DateTimeText
from lectern.study.models import CardState, ItemType, ReviewRating

MAX_FRONT = 2000
MAX_BACK = 5000
MAX_NOTE = 20_000
MAX_GENERATE = 20
DEFAULT_GENERATE = 10
MAX_CLIENT_ID = 128
DEFAULT_QUEUE = 20
# A review may take a while to answer, but not a day.
MAX_DURATION_MS = 86_400_000

Front = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_FRONT)]
Back = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BACK)]
NoteText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NOTE)
]
ClientId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CLIENT_ID, pattern=r"^[A-Za-z0-9._:\-]+$"),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemIn(_In):
    type: ItemType
    # A flashcard has a front and a back; a note has content.
    front: Front | None = None
    back: Back | None = None
    content: NoteText | None = None
    course_id: uuid.UUID | None = None
    lesson_id: uuid.UUID | None = Field(
        default=None, description="Ties the item to a lesson (and so to its course)."
    )
    tags: Tags = Field(default_factory=list)


class ItemUpdateIn(_In):
    """Only the fields sent change; ``course_id`` and ``lesson_id`` accept null to untie
    the item, the other fields refuse it."""

    front: Front | None = Field(default=None)
    back: Back | None = Field(default=None)
    content: NoteText | None = Field(default=None)
    course_id: uuid.UUID | None = None
    lesson_id: uuid.UUID | None = None
    tags: Tags | None = Field(default=None)


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: ItemType
    front: str | None
    back: str | None
    content: str | None
    tags: list[str]
    course_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    document_id: uuid.UUID | None
    generated_by: str | None = Field(description="The model that wrote a generated card.")
    # FSRS (flashcards; null for notes). ``due`` is the next review.
    state: CardState | None
    due: datetime | None
    last_reviewed_at: datetime | None
    stability: float | None
    difficulty: float | None
    retrievability: float | None = Field(
        default=None, description="FSRS's chance of recall now (0 to 1): the card's progress."
    )
    reps: int
    lapses: int
    created_at: datetime
    updated_at: datetime


class ReviewIn(_In):
    rating: ReviewRating
    reviewed_at: DateTimeText | None = Field(
        default=None,
        description="When the learner answered (offline reviews); default: now. A retry "
        "with the same time is a replay of the stored review.",
    )
    client_id: ClientId | None = Field(
        default=None,
        description="An idempotency key (or send the Idempotency-Key header): a retry with "
        "it returns the stored review instead of reviewing twice.",
    )
    duration_ms: Annotated[int, Field(ge=0, le=MAX_DURATION_MS, strict=True)] | None = None


class ReviewOut(BaseModel):
    id: uuid.UUID
    item_id: uuid.UUID
    rating: ReviewRating
    reviewed_at: datetime
    due: datetime
    state: CardState
    stability: float
    difficulty: float
    interval_days: float = Field(description="From the review to the next due time, in days.")


class QueueOut(BaseModel):
    items: list[ItemOut]
    # Reviewed cards due now, and new cards the learner may still start today.
    due_count: int
    new_remaining_today: int


class StudyStatsOut(BaseModel):
    # Days are UTC days.
    due_today: int
    reviewed_today: int
    # Reviews of cards in the review state over 30 days that were not "again"; null
    # before there is any.
    retention_30d: float | None
    streak_days: int
    new_available_today: int


class GenerateIn(_In):
    lesson_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    count: Annotated[int, Field(ge=1, le=MAX_GENERATE, strict=True)] = DEFAULT_GENERATE


class GenerateOut(BaseModel):
    items: list[ItemOut]
    usage: AskUsage


def item_out(item: Any, retrievability: float | None) -> ItemOut:
    out = ItemOut.model_validate(item)
    out.retrievability = retrievability
    return out

"""Study items (flashcards and notes) with their FSRS card state, and every review kept.

A flashcard carries the ``fsrs`` package's card state (state, step, stability,
difficulty, due, last review); ``new`` is a card never reviewed (the package starts it in
Learning at step 0). A note has no schedule. Each review stores the rating, its time and
the card's state before and after, so the learner's FSRS parameters can be optimized
from the log later; a review is unique by (card, client id) and by (card, reviewed_at),
which makes a retried request a replay, never a second review.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column


class ItemType(enum.StrEnum):
    flashcard = "flashcard"
    note = "note"


class CardState(enum.StrEnum):
    new = "new"
    learning = "learning"
    review = "review"
    relearning = "relearning"


class ReviewRating(enum.StrEnum):
    # FSRS's (and Anki's) four buttons, 1 to 4.
    again = "again"
    hard = "hard"
    good = "good"
    easy = "easy"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


item_type_enum = _enum(ItemType, "study_item_type")
card_state_enum = _enum(CardState, "study_card_state")
rating_enum = _enum(ReviewRating, "study_rating")


class StudyItem(Base):
    __tablename__ = "study_items"
    __table_args__ = (
        # The learner's list, newest first (keyset).
        Index("ix_study_items_user_id_created_at", "user_id", "created_at", "id"),
        # The queue: reviewed cards by due time, and new cards in the order added.
        Index(
            "ix_study_items_user_id_due",
            "user_id",
            "due",
            postgresql_where=text("state IS NOT NULL AND state <> 'new'"),
        ),
        Index(
            "ix_study_items_user_id_new",
            "user_id",
            "created_at",
            "id",
            postgresql_where=text("state = 'new'"),
        ),
        Index("ix_study_items_tags", "tags", postgresql_using="gin"),
        CheckConstraint(
            "type <> 'flashcard' OR (front IS NOT NULL AND back IS NOT NULL"
            " AND state IS NOT NULL AND due IS NOT NULL)",
            name="flashcard_fields",
        ),
        CheckConstraint(
            "type <> 'note' OR (content IS NOT NULL AND state IS NULL)", name="note_fields"
        ),
        CheckConstraint("reps >= 0 AND lapses >= 0", name="counts_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    type: Mapped[ItemType] = mapped_column(item_type_enum, nullable=False)
    front: Mapped[str | None] = mapped_column(Text)
    back: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="SET NULL"), index=True
    )
    lesson_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("lessons.id", ondelete="SET NULL"), index=True
    )
    # Generated cards: the learner's document (or the lesson) and the chunk they came from,
    # and the model that wrote them.
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    source_chunk_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("chunks.id", ondelete="SET NULL"), index=True
    )
    generated_by: Mapped[str | None] = mapped_column(Text)
    # FSRS card state (flashcards only).
    state: Mapped[CardState | None] = mapped_column(card_state_enum)
    step: Mapped[int | None] = mapped_column(SmallInteger)
    stability: Mapped[float | None] = mapped_column(Double)
    difficulty: Mapped[float | None] = mapped_column(Double)
    due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reps: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    lapses: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class StudyReview(Base):
    __tablename__ = "study_reviews"
    __table_args__ = (
        UniqueConstraint("item_id", "client_id"),
        UniqueConstraint("item_id", "reviewed_at"),
        # Stats: reviews today, retention over 30 days, the streak's days.
        Index("ix_study_reviews_user_id_reviewed_at", "user_id", "reviewed_at"),
        CheckConstraint("duration_ms IS NULL OR duration_ms >= 0", name="duration_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    item_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("study_items.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    # The client's idempotency key, when it sent one.
    client_id: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[ReviewRating] = mapped_column(rating_enum, nullable=False)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    state_before: Mapped[CardState] = mapped_column(card_state_enum, nullable=False)
    step_before: Mapped[int | None] = mapped_column(SmallInteger)
    stability_before: Mapped[float | None] = mapped_column(Double)
    difficulty_before: Mapped[float | None] = mapped_column(Double)
    due_before: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    state_after: Mapped[CardState] = mapped_column(card_state_enum, nullable=False)
    step_after: Mapped[int | None] = mapped_column(SmallInteger)
    stability_after: Mapped[float] = mapped_column(Double, nullable=False)
    difficulty_after: Mapped[float] = mapped_column(Double, nullable=False)
    due_after: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = created_at_column()

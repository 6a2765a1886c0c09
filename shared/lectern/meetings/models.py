"""Meeting requests: 1 to 5 preferred times, then a decision. ``sequence`` is the
iCalendar SEQUENCE of the accepted event, bumped by every change after acceptance."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column


class MeetingStatus(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    cancelled = "cancelled"


FINAL = frozenset({MeetingStatus.declined, MeetingStatus.cancelled})

meeting_status_enum = Enum(
    MeetingStatus, name="meeting_status", values_callable=lambda e: [m.value for m in e]
)


class MeetingRequest(Base):
    __tablename__ = "meeting_requests"
    __table_args__ = (
        CheckConstraint(
            "cardinality(preferred_times) BETWEEN 1 AND 5", name="preferred_times_count"
        ),
        CheckConstraint(
            "status <> 'accepted' OR (scheduled_at IS NOT NULL AND meeting_url IS NOT NULL)",
            name="accepted_is_scheduled",
        ),
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_range"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        # The owner's list per course and the learner's own, newest first.
        Index("ix_meeting_requests_course_id_created_at_id", "course_id", "created_at", "id"),
        Index("ix_meeting_requests_requester_id_created_at_id", "requester_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    course_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE"), nullable=False
    )
    requester_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    topic: Mapped[str] = mapped_column(Text, nullable=False)
    message: Mapped[str | None] = mapped_column(Text)
    preferred_times: Mapped[list[datetime]] = mapped_column(
        ARRAY(DateTime(timezone=True)), nullable=False
    )
    status: Mapped[MeetingStatus] = mapped_column(
        meeting_status_enum, nullable=False, server_default=MeetingStatus.pending.value
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("60")
    )
    meeting_url: Mapped[str | None] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    # Whether it was ever accepted: a cancelled event then still has a calendar entry
    # (STATUS:CANCELLED), so calendars that hold it learn of the cancellation.
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

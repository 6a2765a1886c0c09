"""Analytics: raw events in monthly partitions and their daily rollups.

``events`` is partitioned by month on ``occurred_at`` (native range partitioning). The
partitions (``events_pYYYYMM``) are made ahead of time by the scheduler, not by
migrations' models, and retention drops whole partitions. No foreign keys point from
events: a dropped month must not cascade, and an insert must not look anything up.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Enum, Index, Integer, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.db.base import Base


class EventType(enum.StrEnum):
    lesson_viewed = "lesson_viewed"
    lesson_completed = "lesson_completed"
    exam_started = "exam_started"
    exam_completed = "exam_completed"
    question_answered = "question_answered"
    video_progress = "video_progress"
    search_performed = "search_performed"
    course_enrolled = "course_enrolled"
    document_uploaded = "document_uploaded"
    ai_question_asked = "ai_question_asked"
    share_opened = "share_opened"


event_type_enum = Enum(EventType, name="event_type", values_callable=lambda e: [m.value for m in e])


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        # Rollups find what arrived since their last run by this.
        Index("ix_events_received_at", "received_at"),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )

    # The partition key must be part of the primary key of a partitioned table.
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    type: Mapped[EventType] = mapped_column(event_type_enum, nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # Lifted out of the context when it names one: the per-course rollups group by it.
    course_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    context: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )


class DailyEventCount(Base):
    """Per day and event type, all learners: the admin's overview."""

    __tablename__ = "daily_event_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    event_type: Mapped[EventType] = mapped_column(event_type_enum, primary_key=True)
    events: Mapped[int] = mapped_column(BigInteger, nullable=False)
    users: Mapped[int] = mapped_column(Integer, nullable=False)


class DailyCourseActivity(Base):
    """Per day, course and event type: what an instructor sees of their courses."""

    __tablename__ = "daily_course_activity"
    __table_args__ = (Index("ix_daily_course_activity_course_id_day", "course_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_type: Mapped[EventType] = mapped_column(event_type_enum, primary_key=True)
    events: Mapped[int] = mapped_column(BigInteger, nullable=False)
    users: Mapped[int] = mapped_column(Integer, nullable=False)


class DailyUserActivity(Base):
    """Per day, learner and event type: a learner's own activity history."""

    __tablename__ = "daily_user_activity"
    __table_args__ = (Index("ix_daily_user_activity_user_id_day", "user_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_type: Mapped[EventType] = mapped_column(event_type_enum, primary_key=True)
    events: Mapped[int] = mapped_column(BigInteger, nullable=False)

"""The tables core owns: the transactional outbox and the scheduled tasks' state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Index,
    Integer,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.db.base import Base, created_at_column


class OutboxEntry(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # topic and entity_type are the search drain's ("search", "embed") and registered
        # relays' topics, and registered searchable and relayed types: the database's
        # check constraints (ck_outbox_topic_known, ck_outbox_entity_type_known, widened
        # by the migration of a context that registers one) are compared with the
        # registry by a test, not declared here.
        # The drain reads the due rows of one topic, oldest first.
        Index("ix_outbox_topic_available_at_id", "topic", "available_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    topic: Mapped[str] = mapped_column(Text, nullable=False)
    entity_type: Mapped[str] = mapped_column(Text, nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    # Retries back off by moving this forward.
    available_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)


class JobState(Base):
    """Each scheduled task's watermark and last outcome: reruns pick up where it ended."""

    __tablename__ = "job_state"

    task: Mapped[str] = mapped_column(Text, primary_key=True)
    watermark: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )

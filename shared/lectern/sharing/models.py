"""Public share links: a hashed token that opens a read-only view of one object."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column


class ShareEntity(enum.StrEnum):
    course = "course"
    lesson = "lesson"
    exam = "exam"


share_entity_enum = Enum(
    ShareEntity, name="share_entity", values_callable=lambda e: [m.value for m in e]
)


class Share(Base):
    __tablename__ = "shares"
    __table_args__ = (
        Index("ix_shares_owner_id_created_at", "owner_id", "created_at"),
        Index("ix_shares_entity", "entity_type", "entity_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    entity_type: Mapped[ShareEntity] = mapped_column(share_entity_enum, nullable=False)
    # Polymorphic (course, lesson or exam): checked by the service, not by a foreign key.
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

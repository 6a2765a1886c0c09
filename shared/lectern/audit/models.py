"""The audit trail: one row per sensitive action, in monthly partitions of ``audit_log``.

Rows are never changed but for erasure, which clears a user's personal fields (the
source address and ``personal``) and keeps the ids; a trigger (migration 0018) refuses
any other update and every delete. Retention drops whole partitions, which no row
trigger sees. No foreign keys: a row outlives what it names.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.db.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        # The admin reads filter by actor or by target, newest first.
        Index("ix_audit_log_actor_id_occurred_at", "actor_id", "occurred_at", "id"),
        Index("ix_audit_log_target_id_occurred_at", "target_id", "occurred_at", "id"),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )

    # The partition key must be part of the primary key of a partitioned table.
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    # None for the system (a scheduled task) or an anonymous caller.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    target_type: Mapped[str | None] = mapped_column(Text)
    target_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    request_id: Mapped[str | None] = mapped_column(Text)
    source_ip: Mapped[str | None] = mapped_column(Text)
    # Ids, enums and counts only: what stays after an erasure.
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    # What identifies a person (an email at the time): cleared by erasure.
    personal: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))

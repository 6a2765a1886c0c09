"""AI usage: one row per call with its cost, and the monthly counter quotas check."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column


class AiUsage(Base):
    """One row per AI call: what it cost, for the owner's usage page and for billing."""

    __tablename__ = "ai_usage"
    __table_args__ = (Index("ix_ai_usage_user_id_month", "user_id", "month"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    month: Mapped[date] = mapped_column(Date, nullable=False)  # first day of the UTC month
    kind: Mapped[str] = mapped_column(Text, nullable=False)  # "ask"
    model: Mapped[str] = mapped_column(Text, nullable=False)
    input_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    output_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    cost_cents: Mapped[Decimal] = mapped_column(Numeric(12, 4), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class AiUsageMonthly(Base):
    """The per-month counter the quota is checked against, in one atomic upsert."""

    __tablename__ = "ai_usage_monthly"
    __table_args__ = (
        CheckConstraint("requests >= 0", name="requests_not_negative"),
        CheckConstraint("tokens >= 0", name="tokens_not_negative"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    cost_cents: Mapped[Decimal] = mapped_column(
        Numeric(14, 4), nullable=False, server_default=text("0")
    )
    updated_at: Mapped[datetime] = updated_at_column()


class AiSpendMonthly(Base):
    """The whole platform's model spend in a month, checked against the spend cap."""

    __tablename__ = "ai_spend_monthly"
    __table_args__ = (CheckConstraint("cost_cents >= 0", name="cost_not_negative"),)

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    cost_cents: Mapped[Decimal] = mapped_column(
        Numeric(16, 4), nullable=False, server_default=text("0")
    )
    updated_at: Mapped[datetime] = updated_at_column()

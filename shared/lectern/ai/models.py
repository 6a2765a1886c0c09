"""AI usage (one row per call with its cost, and the monthly counter quotas check), and
conversations: chats and their messages, with the citations each answer gave."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    REAL,
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.ai.roles import ChatRole
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


chat_role_enum = Enum(ChatRole, name="ai_chat_role", values_callable=lambda e: [m.value for m in e])


class AiChat(Base):
    """A learner's conversation, optionally scoped to one course.

    ``context_vector`` is the running conversation embedding (the learner's messages so
    far, older ones fading), made by the embedding model ``context_model_id``: a
    follow-up is searched with it blended in, so one embedding call serves each turn.
    """

    __tablename__ = "ai_chats"
    __table_args__ = (
        Index("ix_ai_chats_user_id_created_at", "user_id", "created_at", "id"),
        CheckConstraint("message_count >= 0", name="message_count_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str | None] = mapped_column(Text)
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="SET NULL"), index=True
    )
    message_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    context_vector: Mapped[list[float] | None] = mapped_column(ARRAY(REAL))
    context_model_id: Mapped[int | None] = mapped_column(
        SmallInteger, ForeignKey("embedding_models.id")
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class AiChatMessage(Base):
    __tablename__ = "ai_chat_messages"
    __table_args__ = (
        UniqueConstraint("chat_id", "position"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    chat_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("ai_chats.id", ondelete="CASCADE"), nullable=False
    )
    # The chat's owner, so export and erasure find the messages by user.
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    role: Mapped[ChatRole] = mapped_column(chat_role_enum, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    # [{source_type, source_id, chunk_id}] for an answer; [] for the learner's message.
    citations: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    # An answer's model and tokens (also in ai_usage); null for the learner's message.
    model: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()

"""Subscriptions as the provider last told of them, and the webhook deliveries seen.

``event_at`` is the timestamp of the event that set a subscription's state: a delivery
older than it changes nothing (deliveries come out of order). ``billing_webhook_deliveries``
holds one row per ``webhook-id``, inserted in the delivery's transaction, so a repeated
or concurrent duplicate finds it and applies nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column

# Polar's subscription statuses.
STATUSES = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("kind IN ('individual', 'team')", name="kind_known"),
        CheckConstraint("seats IS NULL OR seats > 0", name="seats_positive"),
        Index(
            "uq_subscriptions_provider_provider_subscription_id",
            "provider",
            "provider_subscription_id",
            unique=True,
        ),
        Index("ix_subscriptions_user_id", "user_id"),
        Index("ix_subscriptions_team_id", "team_id"),
        # The admin list by status, newest first.
        Index("ix_subscriptions_status_created_at_id", "status", "created_at", "id"),
        Index("ix_subscriptions_created_at_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    provider: Mapped[str] = mapped_column(Text, nullable=False, server_default="polar")
    provider_subscription_id: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    # The paying customer (Polar's customer.external_id); NULL once they are erased.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    )
    # A team subscription's team (data.metadata.team_id); NULL once the team is gone.
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("teams.id", ondelete="SET NULL")
    )
    plan: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    amount: Mapped[int | None] = mapped_column(Integer)  # in the currency's minor unit
    currency: Mapped[str | None] = mapped_column(Text)
    billing_period: Mapped[str | None] = mapped_column(Text)  # month, year ...
    seats: Mapped[int | None] = mapped_column(Integer)
    current_period_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    current_period_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_at_period_end: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    event_type: Mapped[str] = mapped_column(Text, nullable=False)
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class WebhookDelivery(Base):
    __tablename__ = "billing_webhook_deliveries"
    __table_args__ = (Index("ix_billing_webhook_deliveries_received_at", "received_at"),)

    webhook_id: Mapped[str] = mapped_column(Text, primary_key=True)
    provider: Mapped[str] = mapped_column(Text, nullable=False, server_default="polar")
    event_type: Mapped[str] = mapped_column(Text, nullable=False)
    provider_subscription_id: Mapped[str | None] = mapped_column(Text)
    # Whether it changed a subscription (False: older than the state kept, or not ours).
    applied: Mapped[bool] = mapped_column(Boolean, nullable=False)
    received_at: Mapped[datetime] = created_at_column()

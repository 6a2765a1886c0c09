"""Billing bodies: Polar's webhook payload (the fields Lectern reads; the rest is
ignored), the caller's subscription, and the admin's list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from lectern.billing.models import STATUSES
from lectern.core.pagination import Page

SubscriptionStatus = Literal[
    "incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid"
]
assert set(STATUSES) == set(get_args(SubscriptionStatus))  # noqa: S101 - one list, two forms

# The subscription events Lectern applies; any other event is acknowledged and skipped.
SUBSCRIPTION_EVENTS = frozenset(
    {
        "subscription.created",
        "subscription.updated",
        "subscription.active",
        "subscription.canceled",
        "subscription.uncanceled",
        "subscription.revoked",
        "subscription.past_due",
    }
)


class _Polar(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PolarCustomer(_Polar):
    id: str | None = None
    external_id: str | None = None


class PolarProduct(_Polar):
    id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class PolarSubscription(_Polar):
    id: str = Field(min_length=1, max_length=200)
    status: SubscriptionStatus
    amount: int | None = None
    currency: str | None = Field(default=None, max_length=10)
    recurring_interval: str | None = Field(default=None, max_length=20)
    current_period_start: AwareDatetime | None = None
    current_period_end: AwareDatetime | None = None
    cancel_at_period_end: bool = False
    modified_at: AwareDatetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    customer: PolarCustomer = Field(default_factory=PolarCustomer)
    product: PolarProduct = Field(default_factory=PolarProduct)


class PolarEvent(_Polar):
    type: str = Field(max_length=100)
    # The event's own time: what orders deliveries that arrive out of order.
    timestamp: AwareDatetime | None = None
    data: dict[str, Any]


class DeliveryOut(BaseModel):
    received: bool = True
    duplicate: bool = Field(description="This webhook-id was seen before: nothing changed.")
    applied: bool = Field(description="Whether it changed a subscription.")


class MySubscriptionOut(BaseModel):
    plan: str
    status: str | None
    current_period_end: datetime | None
    source: Literal["individual", "team", "none"]
    ai_monthly_requests: int
    team_id: uuid.UUID | None = None


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provider: str
    provider_subscription_id: str
    kind: Literal["individual", "team"]
    user_id: uuid.UUID | None
    team_id: uuid.UUID | None
    plan: str
    status: str
    amount: int | None
    currency: str | None
    billing_period: str | None
    seats: int | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    event_type: str
    event_at: datetime
    created_at: datetime
    updated_at: datetime


class SubscriptionPage(Page[SubscriptionOut]):
    pass

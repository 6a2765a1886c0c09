"""AI usage: the monthly quota, reserved atomically, and what each call cost.

A request is reserved before the model is called, with one upsert that only counts it
while the month's counter is under the plan's limit: concurrent asks can never overshoot,
and no read-then-write race exists. A call that fails gives its reservation back. A call
that succeeds adds one ``ai_usage`` row and its tokens and cost to the monthly row, in
one transaction, so the rows always sum to the counter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lectern.ai.models import AiUsage
from lectern.billing.entitlements import user_plan
from lectern.config import get_settings
from lectern.errors import BudgetExhausted, RateLimited
from lectern.identity.models import User
from lectern.observability import count, get_logger

# US cents per 1,000 input and output tokens (Bedrock on-demand list prices, us-east-1).
# Cross-region inference profiles ("us.", "eu." ...) cost the same as the model.
PRICES_CENTS_PER_1K: dict[str, tuple[Decimal, Decimal]] = {
    "local-extractive": (Decimal(0), Decimal(0)),
    "anthropic.claude-3-haiku-20240307-v1:0": (Decimal("0.025"), Decimal("0.125")),
    "anthropic.claude-3-5-haiku-20241022-v1:0": (Decimal("0.08"), Decimal("0.4")),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": (Decimal("0.3"), Decimal("1.5")),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": (Decimal("0.3"), Decimal("1.5")),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": (Decimal("0.3"), Decimal("1.5")),
    "anthropic.claude-sonnet-4-20250514-v1:0": (Decimal("0.3"), Decimal("1.5")),
    "amazon.nova-micro-v1:0": (Decimal("0.0035"), Decimal("0.014")),
    "amazon.nova-lite-v1:0": (Decimal("0.006"), Decimal("0.024")),
    "amazon.nova-pro-v1:0": (Decimal("0.08"), Decimal("0.32")),
}
INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "global.")
CENT_PLACES = Decimal("0.0001")  # the columns' scale


def _price(model: str) -> tuple[Decimal, Decimal] | None:
    for prefix in INFERENCE_PROFILE_PREFIXES:
        if model.startswith(prefix):
            model = model[len(prefix) :]
            break
    return PRICES_CENTS_PER_1K.get(model)


def cost_cents(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    price = _price(model)
    if price is None:
        # Tokens are still recorded per row, so the cost can be filled in afterwards.
        get_logger().warning("no price for model", model=model)
        return Decimal(0)
    cost = (price[0] * input_tokens + price[1] * output_tokens) / 1000
    return cost.quantize(CENT_PLACES)


def month_start(now: datetime) -> date:
    return now.astimezone(UTC).date().replace(day=1)


def seconds_to_next_month(now: datetime) -> int:
    now = now.astimezone(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return int((datetime(year, month, 1, tzinfo=UTC) - now).total_seconds()) + 1


def monthly_limit(db: Session, user_id: uuid.UUID) -> int:
    """The plan's monthly requests once the address is verified; the trial's before.
    The plan is the user's entitlement now (``lectern.billing.entitlements``): their
    profile's, their own subscription's, or a subscribed team's, whichever gives most."""
    row = db.execute(
        select(User.email_verified_at).where(User.id == user_id, User.deleted_at.is_(None))
    ).one_or_none()
    settings = get_settings().ai
    plan_limit = settings.monthly_requests.get(user_plan(db, user_id).plan, 0)
    if row is None or row.email_verified_at is None:
        return min(plan_limit, settings.trial_monthly_requests)
    return plan_limit


def check_spend_cap(db: Session, now: datetime) -> None:
    """Refuse while the platform's spend this month is at the cap. Calls already under
    way may still finish past it: the overshoot is bounded by the asks in flight."""
    cap = get_settings().ai.monthly_spend_cap_cents
    spent = db.scalar(
        text("SELECT cost_cents FROM ai_spend_monthly WHERE month = :month"),
        {"month": month_start(now)},
    )
    if Decimal(spent or 0) >= cap:
        raise BudgetExhausted(
            seconds_to_next_month(now),
            "The platform's AI budget for this month is used up; answers resume next month.",
        )


def reserve(db: Session, user_id: uuid.UUID, *, limit: int, now: datetime) -> date:
    """Count one request against the month, or raise RateLimited; the caller commits."""
    month = month_start(now)
    # The upsert's WHERE guards only the update, so a first request needs a limit of 1+.
    counted = (
        db.scalar(
            text(
                "INSERT INTO ai_usage_monthly (user_id, month, requests) VALUES (:user, :month, 1)"
                " ON CONFLICT (user_id, month) DO UPDATE"
                " SET requests = ai_usage_monthly.requests + 1, updated_at = now()"
                " WHERE ai_usage_monthly.requests < :limit"
                " RETURNING requests"
            ),
            {"user": user_id, "month": month, "limit": limit},
        )
        if limit > 0
        else None
    )
    if counted is None:
        raise RateLimited(
            seconds_to_next_month(now),
            f"Your plan allows {limit} AI requests a month; the quota renews next month.",
        )
    return month


class Metered(Protocol):
    """What a model call used: an ``Answer`` or ``Cards`` of the LLM port."""

    @property
    def model(self) -> str: ...
    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...


def release(db: Session, user_id: uuid.UUID, month: date) -> None:
    """Give back a reservation whose call failed; the caller commits."""
    db.execute(
        text(
            "UPDATE ai_usage_monthly SET requests = requests - 1, updated_at = now()"
            " WHERE user_id = :user AND month = :month AND requests > 0"
        ),
        {"user": user_id, "month": month},
    )


def release_quietly(db: Session, user_id: uuid.UUID, month: date) -> None:
    """Roll back and give the reservation back, in its own transaction, after a failure
    that is on its way to the client."""
    try:
        db.rollback()
        release(db, user_id, month)
        db.commit()
    except Exception:
        # The failure being reported matters more; a lost release costs one request.
        db.rollback()
        get_logger().warning("ai quota release failed", user_id=str(user_id))


def record(db: Session, user_id: uuid.UUID, month: date, answer: Metered, kind: str) -> Decimal:
    """One usage row and the month's totals, in the caller's transaction; the cost."""
    cost = cost_cents(answer.model, answer.input_tokens, answer.output_tokens)
    # The dashboard sums it over the month (the table is the truth; this is the view).
    count("AiSpendCents", float(cost))
    db.add(
        AiUsage(
            user_id=user_id,
            month=month,
            kind=kind,
            model=answer.model,
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            cost_cents=cost,
        )
    )
    db.execute(
        text(
            "INSERT INTO ai_spend_monthly (month, cost_cents) VALUES (:month, :cost)"
            " ON CONFLICT (month) DO UPDATE"
            " SET cost_cents = ai_spend_monthly.cost_cents + :cost, updated_at = now()"
        ),
        {"month": month, "cost": cost},
    )
    db.execute(
        text(
            "UPDATE ai_usage_monthly SET tokens = tokens + :tokens,"
            " cost_cents = cost_cents + :cost, updated_at = now()"
            " WHERE user_id = :user AND month = :month"
        ),
        {
            "tokens": answer.input_tokens + answer.output_tokens,
            "cost": cost,
            "user": user_id,
            "month": month,
        },
    )
    return cost


@dataclass(frozen=True)
class MonthUsage:
    month: date
    requests: int
    tokens: int
    cost_cents: Decimal
    limit: int


def month_usage(db: Session, user_id: uuid.UUID, now: datetime) -> MonthUsage:
    month = month_start(now)
    row = db.execute(
        text(
            "SELECT requests, tokens, cost_cents FROM ai_usage_monthly"
            " WHERE user_id = :user AND month = :month"
        ),
        {"user": user_id, "month": month},
    ).one_or_none()
    limit = monthly_limit(db, user_id)
    if row is None:
        return MonthUsage(month, 0, 0, Decimal(0), limit)
    return MonthUsage(month, int(row.requests), int(row.tokens), Decimal(row.cost_cents), limit)

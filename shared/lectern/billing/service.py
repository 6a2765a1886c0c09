"""Polar's webhooks (Standard Webhooks), the caller's plan, and the admin's list.

A delivery is applied in one transaction:

1. **verified** with the ``standardwebhooks`` package: the HMAC over
   ``webhook-id.webhook-timestamp.body`` under the secret, and a timestamp at most 5
   minutes off; anything else is a 401 and changes nothing;
2. **recorded** by its ``webhook-id`` (``INSERT ... ON CONFLICT DO NOTHING`` on the
   primary key): a repeated delivery finds the row and applies nothing. Concurrent
   duplicates wait on the first one's row and then find it, so 20 at once apply once;
3. **applied** as an upsert of the subscription that changes it only when the event's
   own ``timestamp`` is newer than the state kept (``event_at``): an older event that
   arrives late never overwrites a newer one.

Entitlements are read from the subscriptions per request
(``lectern.billing.entitlements``), so what a webhook changed applies at once.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from standardwebhooks import Webhook, WebhookVerificationError

from lectern.billing import entitlements
from lectern.billing.models import Subscription
from lectern.billing.schemas import (
    SUBSCRIPTION_EVENTS,
    DeliveryOut,
    MySubscriptionOut,
    PolarEvent,
    PolarSubscription,
    SubscriptionOut,
    SubscriptionPage,
)
from lectern.config import get_settings, polar_webhook_secret
from lectern.core.cache import cached_client
from lectern.core.pagination import keyset_rows
from lectern.core.principal import Principal
from lectern.errors import InvalidField, Unauthorized
from lectern.observability import count, get_logger

PROVIDER = "polar"
BAD_SIGNATURE = "The webhook's signature or timestamp does not verify."
MAX_SEATS = 10_000
MAX_BODY_BYTES = 1_000_000


@cached_client(maxsize=4)
def _verifier(secret: str) -> Webhook:
    # Polar shows a plain secret; its SDKs hand it to Standard Webhooks base64-encoded.
    # A secret already in the spec's whsec_<base64> form is used as it is.
    if not secret.startswith("whsec_"):
        secret = base64.b64encode(secret.encode()).decode()
    return Webhook(secret)


def verify(body: bytes, headers: Mapping[str, str]) -> Any:
    """The payload, once signature and timestamp check out; else a 401."""
    wanted = {
        k: headers[k]
        for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
        if k in headers
    }
    if len(body) > MAX_BODY_BYTES:
        raise Unauthorized(BAD_SIGNATURE)
    try:
        return _verifier(polar_webhook_secret(get_settings())).verify(body, wanted)
    except (WebhookVerificationError, ValueError, TypeError):
        # ValueError: a malformed signature list, bad base64, a body that is not JSON
        # or not UTF-8.
        raise Unauthorized(BAD_SIGNATURE) from None


def _seats(value: Any) -> int | None:
    try:
        seats = int(value)
    except (TypeError, ValueError):
        return None
    return seats if 0 < seats <= MAX_SEATS else None


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _field_errors(exc: ValidationError, prefix: str) -> InvalidField:
    first = exc.errors()[0]
    field = ".".join([prefix, *(str(p) for p in first["loc"])])
    return InvalidField(field, first["msg"])


_RECORD = text(
    "INSERT INTO billing_webhook_deliveries"
    " (webhook_id, provider, event_type, provider_subscription_id, applied)"
    " VALUES (:id, :provider, :type, :subscription, false)"
    " ON CONFLICT (webhook_id) DO NOTHING RETURNING webhook_id"
)

_APPLY = text(
    "INSERT INTO subscriptions (id, provider, provider_subscription_id, kind, user_id, team_id,"
    "  plan, status, amount, currency, billing_period, seats, current_period_start,"
    "  current_period_end, cancel_at_period_end, event_type, event_at)"
    " VALUES (:id, :provider, :sid, :kind, :user, :team, :plan, :status, :amount, :currency,"
    "  :period, :seats, :start, :end, :cancel, :type, :at)"
    " ON CONFLICT (provider, provider_subscription_id) DO UPDATE SET"
    "  kind = excluded.kind, user_id = excluded.user_id, team_id = excluded.team_id,"
    "  plan = excluded.plan, status = excluded.status, amount = excluded.amount,"
    "  currency = excluded.currency, billing_period = excluded.billing_period,"
    "  seats = excluded.seats, current_period_start = excluded.current_period_start,"
    "  current_period_end = excluded.current_period_end,"
    "  cancel_at_period_end = excluded.cancel_at_period_end,"
    "  event_type = excluded.event_type, event_at = excluded.event_at, updated_at = now()"
    # Out of order: only a newer event moves the state.
    " WHERE subscriptions.event_at < excluded.event_at"
    " RETURNING id"
)


def _values(db: Session, event: PolarEvent, sub: PolarSubscription) -> dict[str, Any] | None:
    """The subscription row the event describes, or None when it names nobody of ours."""
    user_id = _uuid(sub.customer.external_id)
    if (
        user_id is not None
        and db.scalar(text("SELECT 1 FROM users WHERE id = :u"), {"u": user_id}) is None
    ):
        user_id = None
    team_id = _uuid(sub.metadata.get("team_id"))
    if (
        team_id is not None
        and db.scalar(text("SELECT 1 FROM teams WHERE id = :t"), {"t": team_id}) is None
    ):
        team_id = None
    if team_id is None and sub.metadata.get("team_id") not in (None, ""):
        return None  # a team subscription for a team Lectern does not have
    if user_id is None and team_id is None:
        return None
    plan = sub.product.metadata.get("plan") or sub.metadata.get("plan") or entitlements.FREE
    at = event.timestamp or sub.modified_at
    assert at is not None  # noqa: S101 - checked by the caller
    return {
        "id": uuid.uuid4(),
        "provider": PROVIDER,
        "sid": sub.id,
        "kind": "team" if team_id else "individual",
        "user": user_id,
        "team": team_id,
        "plan": str(plan)[:50],
        "status": sub.status,
        "amount": sub.amount,
        "currency": sub.currency.lower() if sub.currency else None,
        "period": sub.recurring_interval,
        "seats": _seats(sub.metadata.get("seats")) if team_id else None,
        "start": sub.current_period_start,
        "end": sub.current_period_end,
        "cancel": sub.cancel_at_period_end,
        "type": event.type,
        "at": at.astimezone(UTC),
    }


def handle_polar(db: Session, body: bytes, headers: Mapping[str, str]) -> DeliveryOut:
    """One delivery of Polar's, applied at most once (see the module's docstring)."""
    payload = verify(body, headers)
    try:
        event = PolarEvent.model_validate(payload)
    except ValidationError as exc:
        raise _field_errors(exc, "body") from None
    sub: PolarSubscription | None = None
    if event.type in SUBSCRIPTION_EVENTS:
        try:
            sub = PolarSubscription.model_validate(event.data)
        except ValidationError as exc:
            raise _field_errors(exc, "body.data") from None
        if event.timestamp is None and sub.modified_at is None:
            raise InvalidField("body.timestamp", "the event has no time")
    webhook_id = headers["webhook-id"][:200]
    recorded = db.scalar(
        _RECORD,
        {
            "id": webhook_id,
            "provider": PROVIDER,
            "type": event.type,
            "subscription": sub.id if sub else None,
        },
    )
    if recorded is None:
        db.rollback()
        count("BillingWebhookDuplicate")
        return DeliveryOut(duplicate=True, applied=False)
    applied = False
    if sub is not None:
        values = _values(db, event, sub)
        if values is None:
            get_logger().warning(
                "billing webhook names no user or team of ours",
                webhook_id=webhook_id,
                subscription=sub.id,
            )
        else:
            applied = db.scalar(_APPLY, values) is not None
        if applied:
            db.execute(
                text("UPDATE billing_webhook_deliveries SET applied = true WHERE webhook_id = :id"),
                {"id": webhook_id},
            )
    db.commit()
    count("BillingWebhookApplied" if applied else "BillingWebhookSkipped")
    return DeliveryOut(duplicate=False, applied=applied)


def my_subscription(db: Session, principal: Principal) -> MySubscriptionOut:
    grant = entitlements.user_plan(db, principal.user_id)
    return MySubscriptionOut(
        plan=grant.plan,
        status=grant.status,
        current_period_end=grant.current_period_end,
        source=grant.source,
        ai_monthly_requests=entitlements.ai_monthly_requests(grant.plan),
        team_id=grant.team_id if grant.source == "team" else None,
    )


def list_subscriptions(
    db: Session, *, status: str | None, limit: int, cursor: str | None
) -> SubscriptionPage:
    stmt = select(Subscription)
    if status is not None:
        stmt = stmt.where(Subscription.status == status)
    rows, next_cursor = keyset_rows(
        db, stmt, Subscription.created_at, Subscription.id, limit=limit, cursor=cursor
    )
    return SubscriptionPage(
        items=[SubscriptionOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )

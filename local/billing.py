"""Signed Polar deliveries for the local stack, and the fake the tests and the bench post.

``python -m local.billing sample subscription.active --user EMAIL`` posts one to the
running ``make dev`` app, signed with the local webhook secret as Polar signs (Standard
Webhooks), so the path can be tried without the provider. The payload follows Polar's
webhook shape: ``{type, timestamp, data: Subscription}`` with the customer's
``external_id`` (the Lectern user id) and the product's ``metadata.plan``; a team
subscription carries ``metadata.team_id`` and ``metadata.seats``.
"""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

STATUS_OF = {
    "subscription.created": "active",
    "subscription.active": "active",
    "subscription.updated": "active",
    "subscription.uncanceled": "active",
    "subscription.canceled": "active",  # cancelled at the period's end: active until then
    "subscription.revoked": "canceled",
    "subscription.past_due": "past_due",
}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def subscription_event(
    event_type: str,
    *,
    subscription_id: str,
    user_id: uuid.UUID | str | None,
    at: datetime | None = None,
    status: str | None = None,
    plan: str = "pro",
    team_id: uuid.UUID | str | None = None,
    seats: int | None = None,
    period_days: int = 30,
    amount: int = 1200,
    currency: str = "usd",
) -> dict[str, Any]:
    """A Polar ``subscription.*`` webhook payload (the fields of Polar's Subscription
    schema Lectern reads, and the usual others beside them)."""
    at = at or datetime.now(UTC)
    start = at - timedelta(days=1)
    end = start + timedelta(days=period_days)
    status = status or STATUS_OF.get(event_type, "active")
    metadata: dict[str, Any] = {}
    if team_id is not None:
        metadata["team_id"] = str(team_id)
    if seats is not None:
        metadata["seats"] = seats
    product_id = str(uuid.uuid4())
    customer_id = str(uuid.uuid4())
    return {
        "type": event_type,
        "timestamp": _iso(at),
        "data": {
            "id": subscription_id,
            "created_at": _iso(start),
            "modified_at": _iso(at),
            "amount": amount,
            "currency": currency,
            "recurring_interval": "month",
            "recurring_interval_count": 1,
            "status": status,
            "current_period_start": _iso(start),
            "current_period_end": _iso(end),
            "trial_start": None,
            "trial_end": None,
            "cancel_at_period_end": event_type == "subscription.canceled",
            "canceled_at": _iso(at)
            if event_type in ("subscription.canceled", "subscription.revoked")
            else None,
            "started_at": _iso(start),
            "ends_at": _iso(end) if event_type == "subscription.canceled" else None,
            "ended_at": _iso(at) if event_type == "subscription.revoked" else None,
            "customer_id": customer_id,
            "product_id": product_id,
            "discount_id": None,
            "checkout_id": None,
            "customer_cancellation_reason": None,
            "customer_cancellation_comment": None,
            "metadata": metadata,
            "custom_field_data": {},
            "customer": {
                "id": customer_id,
                "created_at": _iso(start),
                "modified_at": _iso(start),
                "metadata": {},
                "external_id": None if user_id is None else str(user_id),
                "email": "customer@example.com",
                "email_verified": True,
                "name": "Customer",
                "billing_address": None,
                "tax_id": None,
                "organization_id": str(uuid.uuid4()),
                "deleted_at": None,
                "avatar_url": None,
            },
            "product": {
                "id": product_id,
                "created_at": _iso(start),
                "modified_at": None,
                "name": f"Lectern {plan.title()}",
                "description": None,
                "recurring_interval": "month",
                "is_recurring": True,
                "is_archived": False,
                "organization_id": str(uuid.uuid4()),
                "metadata": {"plan": plan},
                "prices": [],
                "benefits": [],
                "medias": [],
                "attached_custom_fields": [],
            },
            "discount": None,
            "prices": [],
            "meters": [],
        },
    }


def signed(
    payload: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    webhook_id: str | None = None,
    at: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and the Standard Webhooks headers Polar sends with it."""
    from standardwebhooks import Webhook

    from lectern.config import LOCAL_POLAR_WEBHOOK_SECRET

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret or LOCAL_POLAR_WEBHOOK_SECRET).sign(webhook_id, at, body.decode())
    return body, {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def accounts_router() -> Any:
    """``GET /_local/users?email=``: an account's id by its address, which a sample
    delivery names as Polar's ``customer.external_id``."""
    from fastapi import APIRouter, Query
    from sqlalchemy import select

    from lectern.db.engine import get_sessionmaker
    from lectern.errors import NotFound
    from lectern.identity.models import User

    router = APIRouter(prefix="/_local", tags=["local stack"])

    @router.get("/users")
    def user_by_email(email: str = Query(max_length=320)) -> dict[str, str]:
        with get_sessionmaker()() as db:
            found = db.scalar(select(User.id).where(User.email == email.strip().lower()))
        if found is None:
            raise NotFound("No account with that address.")
        return {"id": str(found)}

    return router


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description="Post a signed sample Polar delivery locally.")
    sub = parser.add_subparsers(dest="command", required=True)
    sample = sub.add_parser("sample", help="post one subscription event")
    sample.add_argument("event", choices=sorted(STATUS_OF))
    sample.add_argument("--user", required=True, help="the paying account's e-mail address")
    sample.add_argument("--team", help="a team id: a team subscription")
    sample.add_argument("--seats", type=int)
    sample.add_argument("--plan", default="pro")
    sample.add_argument("--subscription", help="the provider's id (default: one per user)")
    sample.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()

    with httpx.Client(base_url=args.url, timeout=10) as client:
        found = client.get("/_local/users", params={"email": args.user})
        if found.status_code == 404:
            parser.error(f"no account for {args.user}")
        found.raise_for_status()
        user_id = found.json()["id"]
        payload = subscription_event(
            args.event,
            subscription_id=args.subscription or f"sub_local_{user_id}",
            user_id=user_id,
            plan=args.plan,
            team_id=args.team,
            seats=args.seats,
        )
        body, headers = signed(payload)
        reply = client.post("/v1/billing/webhooks/polar", content=body, headers=headers)
        print(reply.status_code, reply.text)


if __name__ == "__main__":
    main()

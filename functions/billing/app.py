"""Function `billing`: Polar's webhooks (Standard Webhooks, no sign-in), the caller's
subscription and plan, and the admins' list of subscriptions."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import AdminPrincipal, CurrentPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.billing import service
from lectern.billing.schemas import (
    DeliveryOut,
    MySubscriptionOut,
    SubscriptionPage,
    SubscriptionStatus,
)
from lectern.core.pagination import DEFAULT_PAGE_SIZE

router = APIRouter(prefix="/v1", tags=["billing"], responses=problems(422, 503))

# The body is verified byte for byte, so it is read raw (and documented here).
_WEBHOOK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["type", "data"],
                    "properties": {
                        "type": {"type": "string"},
                        "timestamp": {"type": "string", "format": "date-time"},
                        "data": {"type": "object"},
                    },
                }
            }
        },
    }
}
WebhookHeader = Annotated[str | None, Header(max_length=1000)]


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post(
    "/billing/webhooks/polar",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=_WEBHOOK_BODY,
    responses={401: {"description": "A bad signature, or a timestamp over 5 minutes off."}},
)
def polar_webhook(
    body: Annotated[bytes, Depends(_raw_body)],
    db: DbSession,
    webhook_id: WebhookHeader = None,
    webhook_timestamp: WebhookHeader = None,
    webhook_signature: WebhookHeader = None,
) -> DeliveryOut:
    """A Polar event, verified (Standard Webhooks) and applied once per ``webhook-id``;
    an older event than the subscription's state changes nothing."""
    headers = {
        name: value
        for name, value in (
            ("webhook-id", webhook_id),
            ("webhook-timestamp", webhook_timestamp),
            ("webhook-signature", webhook_signature),
        )
        if value is not None
    }
    return service.handle_polar(db, body, headers)


@router.get("/me/subscription", responses=problems(401))
def my_subscription(principal: CurrentPrincipal, db: DbSession) -> MySubscriptionOut:
    """The caller's plan now, and where it comes from (their own or a team's)."""
    return service.my_subscription(db, principal)


@router.get(
    "/admin/subscriptions", responses={**problems(401), 403: {"description": "Admins only."}}
)
def list_subscriptions(
    _admin: AdminPrincipal,
    db: DbSession,
    status: Annotated[SubscriptionStatus | None, Query()] = None,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> SubscriptionPage:
    return service.list_subscriptions(db, status=status, limit=limit, cursor=cursor)


app = create_app(router, title="Lectern billing")
handler = lambda_handler(app)

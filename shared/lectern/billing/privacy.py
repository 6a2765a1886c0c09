"""A user's subscriptions in the export; on erasure they stay (the provider's records,
and a team's plan) without the user."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lectern.billing.models import Subscription
from lectern.billing.schemas import SubscriptionOut


def subscriptions(db: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(Subscription)
        .where(Subscription.user_id == user_id)
        .order_by(Subscription.created_at)
    )
    return [SubscriptionOut.model_validate(r).model_dump(mode="json") for r in rows]


def erase(db: Session, user_id: uuid.UUID) -> None:
    db.execute(update(Subscription).where(Subscription.user_id == user_id).values(user_id=None))

"""Webhook deliveries are remembered for ``DELIVERY_KEEP_DAYS``: Polar retries a
delivery for a few days at most, and a replay older than 5 minutes fails its timestamp
check anyway."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from lectern.billing.models import WebhookDelivery
from lectern.core.upkeep import Run, TaskResult

DELIVERY_KEEP_DAYS = 30


def deliveries_task(db: Session, run: Run) -> TaskResult:
    cutoff = run.now - timedelta(days=DELIVERY_KEEP_DAYS)
    deleted = db.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < cutoff))
    return run.now, {"deleted": int(getattr(deleted, "rowcount", 0) or 0)}

"""Event ingestion's throttle: a learner's batches per minute (each up to 500 events)."""

from __future__ import annotations

from lectern.config import get_settings
from lectern.core.throttle import check


def check_event_batches(user_id: str) -> None:
    check("events", user_id, get_settings().analytics.event_batches_per_minute, 60)

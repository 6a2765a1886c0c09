"""The AI routes' throttle: each search or ask embeds the query (and an ask calls a model)."""

from __future__ import annotations

from lectern.config import get_settings
from lectern.core.throttle import check


def check_ai_requests(user_id: str) -> None:
    check("ai", user_id, get_settings().ai.requests_per_minute, 60)

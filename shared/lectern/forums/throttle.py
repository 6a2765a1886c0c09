"""Forum throttles: posts (threads and replies, each of which can mail every follower)
and flags, per member per hour."""

from __future__ import annotations

from lectern.config import get_settings
from lectern.core.throttle import check


def check_post(user_id: str) -> None:
    check("forum-posts", user_id, get_settings().forums.posts_per_hour, 3600)


def check_flag(user_id: str) -> None:
    check("forum-flags", user_id, get_settings().forums.flags_per_hour, 3600)

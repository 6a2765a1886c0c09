"""Uploads begun per hour (``lectern.core.throttle`` sliding windows): each can become a
paid extraction and embedding run, so per learner, per source address and platform-wide."""

from __future__ import annotations

from lectern.config import get_settings
from lectern.core.throttle import check

HOUR = 3600


def check_uploads(user_id: str, ip: str | None) -> None:
    documents = get_settings().documents
    check(
        "uploads",
        user_id,
        documents.uploads_per_user,
        HOUR,
        f"You began {documents.uploads_per_user:,} uploads this hour, the most one learner "
        "may; try again later.",
    )
    if ip:
        check(
            "uploads-ip",
            ip,
            documents.uploads_per_ip,
            HOUR,
            "Too many uploads from this address this hour; try again later.",
        )
    check(
        "uploads-all",
        "all",
        documents.uploads_per_hour,
        HOUR,
        "Lectern takes no more uploads this hour; try again later.",
    )

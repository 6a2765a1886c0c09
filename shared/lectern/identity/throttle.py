"""Identity's throttles: logins and magic links (``lectern.core.throttle`` sliding windows)."""

from __future__ import annotations

from lectern.config import get_settings
from lectern.core.throttle import check
from lectern.identity.tokens import hash_token


def check_login(email: str, ip: str | None) -> None:
    s = get_settings()
    # The account key is a hash: emails never sit in KV key names.
    check(
        "login-account",
        hash_token(email),
        s.auth.login_attempts_per_account,
        s.auth.login_window_seconds,
    )
    if ip:
        check("login-ip", ip, s.auth.login_attempts_per_ip, s.auth.login_window_seconds)


def check_magic_link(email: str) -> None:
    s = get_settings()
    check(
        "magic-link",
        hash_token(email),
        s.auth.magic_links_per_email,
        s.auth.magic_link_window_seconds,
    )

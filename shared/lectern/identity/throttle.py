"""Request throttling with upstash-ratelimit (one script call per limiter): logins, magic
links, and the AI routes, which cost an embedding (and a model call) each.

Sliding windows: a fixed window would let twice the limit through around its boundary.
"""

from __future__ import annotations

import math
import time

from upstash_ratelimit import Ratelimit, SlidingWindow

from lectern.config import get_settings
from lectern.core.cache import cached_client
from lectern.errors import RateLimited
from lectern.identity.tokens import hash_token
from lectern.kv.factory import get_kv
from lectern.kv.port import key


@cached_client(maxsize=8)
def _limiter(name: str, limit: int, window_seconds: int) -> Ratelimit:
    return Ratelimit(
        redis=get_kv(),
        limiter=SlidingWindow(max_requests=limit, window=window_seconds, unit="s"),
        prefix=key("ratelimit", name),
    )


def _check(name: str, identifier: str, limit: int, window_seconds: int) -> None:
    result = _limiter(name, limit, window_seconds).limit(identifier)
    if not result.allowed:
        raise RateLimited(math.ceil(max(1.0, result.reset - time.time())))


def check_login(email: str, ip: str | None) -> None:
    s = get_settings()
    # The account key is a hash: emails never sit in KV key names.
    _check(
        "login-account",
        hash_token(email),
        s.auth.login_attempts_per_account,
        s.auth.login_window_seconds,
    )
    if ip:
        _check("login-ip", ip, s.auth.login_attempts_per_ip, s.auth.login_window_seconds)


def check_magic_link(email: str) -> None:
    s = get_settings()
    _check(
        "magic-link",
        hash_token(email),
        s.auth.magic_links_per_email,
        s.auth.magic_link_window_seconds,
    )


def check_ai_requests(user_id: str) -> None:
    s = get_settings()
    _check("ai", user_id, s.ai.requests_per_minute, 60)

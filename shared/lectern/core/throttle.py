"""Request throttles with upstash-ratelimit (one script call per limiter).

Sliding windows: a fixed window would let twice the limit through around its boundary.
Each context keeps its own throttles beside its routes (``lectern.identity.throttle``,
``lectern.ai.throttle`` ...) and builds them from these.
"""

from __future__ import annotations

import math
import time

from upstash_ratelimit import Ratelimit, SlidingWindow

from lectern.core.cache import cached_client
from lectern.errors import RateLimited
from lectern.kv.factory import get_kv
from lectern.kv.port import key


@cached_client(maxsize=32)
def limiter(name: str, limit: int, window_seconds: int) -> Ratelimit:
    return Ratelimit(
        redis=get_kv(),
        limiter=SlidingWindow(max_requests=limit, window=window_seconds, unit="s"),
        prefix=key("ratelimit", name),
    )


def check(name: str, identifier: str, limit: int, window_seconds: int) -> None:
    """Count one request of ``identifier``; a 429 (with Retry-After) past the limit."""
    result = limiter(name, limit, window_seconds).limit(identifier)
    if not result.allowed:
        raise RateLimited(math.ceil(max(1.0, result.reset - time.time())))

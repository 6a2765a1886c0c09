"""Request throttles with upstash-ratelimit (one script call per limiter).

Sliding windows: a fixed window would let twice the limit through around its boundary.
Each context keeps its own throttles beside its routes (``lectern.identity.throttle``,
``lectern.ai.throttle`` ...) and builds them from these.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

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


def check(
    name: str, identifier: str, limit: int, window_seconds: int, detail: str | None = None
) -> None:
    """Count one request of ``identifier``; a 429 (with Retry-After, and ``detail`` if
    given) past the limit."""
    result = limiter(name, limit, window_seconds).limit(identifier)
    if not result.allowed:
        raise RateLimited(math.ceil(max(1.0, result.reset - time.time())), detail)


def remaining(windows: Sequence[tuple[str, str, int, int]]) -> list[tuple[int, float]]:
    """``(requests left, reset time)`` of several ``(name, identifier, limit, window)``
    throttles in one pipelined KV call, counting nothing.

    Each is the library's own sliding-window read (its ``_get_remaining`` generator asks
    for one MGET and computes the weighted count from the answer); the generators are
    only driven through a pipeline instead of one HTTP call each.
    """
    pipe = get_kv().pipeline()
    reads = []
    for name, identifier, limit, window_seconds in windows:
        window = limiter(name, limit, window_seconds)
        read = window._limiter._get_remaining(f"{window._prefix}:{identifier}")  # type: ignore[attr-defined]
        command, args = next(read)
        getattr(pipe, command)(*args)
        reads.append((window, read, identifier))
    answers = pipe.exec() if reads else []
    return [
        (int(read.send(answer)), window.get_reset(identifier))
        for (window, read, identifier), answer in zip(reads, answers, strict=True)
    ]


def refuse_if_spent(windows: Sequence[tuple[str, str, int, int]]) -> list[int]:
    """A 429 when any of these throttles has nothing left (counting nothing); else the
    requests each has left."""
    left = remaining(windows)
    for count, reset in left:
        if count <= 0:
            raise RateLimited(math.ceil(max(1.0, reset - time.time())))
    return [count for count, _reset in left]


def clear(name: str, identifier: str, window_seconds: int) -> None:
    """Forget what ``identifier`` used: upstash-ratelimit's sliding window keeps one
    counter per window, ``<prefix>:<identifier>:<window number>``, and reads the current
    and the previous one."""
    current = int(time.time() * 1000) // (window_seconds * 1000)
    base = f"{key('ratelimit', name)}:{identifier}"
    get_kv().delete(f"{base}:{current}", f"{base}:{current - 1}")

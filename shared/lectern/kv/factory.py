"""One Upstash client per container, made on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lectern.config import get_settings, kv_token
from lectern.core.cache import cached_client

if TYPE_CHECKING:
    from upstash_redis import Redis


def _close(redis: Redis) -> None:
    redis.close()  # type: ignore[no-untyped-call]  # its HTTP client and connection


@cached_client(close=_close)
def get_kv() -> Redis:
    from lectern.kv.upstash import make_kv

    settings = get_settings()
    if not settings.kv.url:
        raise RuntimeError("set LECTERN_KV_URL")
    return make_kv(settings.kv.url, kv_token(settings), settings.kv.timeout_seconds)

"""One Upstash client per container, made on first use."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from lectern.config import get_settings, kv_token

if TYPE_CHECKING:
    from upstash_redis import Redis


@lru_cache(maxsize=1)
def get_kv() -> Redis:
    from lectern.kv.upstash import make_kv

    settings = get_settings()
    if not settings.kv_url:
        raise RuntimeError("set LECTERN_KV_URL")
    return make_kv(settings.kv_url, kv_token(settings), settings.kv_timeout_seconds)


def reset_kv() -> None:
    get_kv.cache_clear()

"""The key-value store: Upstash Redis, reached over HTTP. The port is the Redis command
set as ``upstash-redis`` speaks it (upstash-ratelimit needs that client itself), so this
module holds only what callers share besides it: the error and the key namespace."""

from __future__ import annotations

from lectern.config import get_settings
from lectern.errors import DependencyUnavailable


class KVUnavailable(DependencyUnavailable):
    def __init__(self, detail: str) -> None:
        super().__init__("kv", detail)


def key(*parts: str) -> str:
    """A key under the app's namespace: ``lectern:session:<hash>``."""
    return ":".join((get_settings().kv.prefix, *parts))

"""The real ``upstash-redis`` client everywhere; locally only its URL points at the emulator.

Two things the stock client lacks are added at its HTTP transport, the one place every
command and pipeline (and upstash-ratelimit's scripts) passes through:
- a timeout, since the client's httpx.Client has none and a hung call would hold the
  Lambda to its limit;
- an outage or a refused token becomes ``KVUnavailable`` (answered as 503), instead of
  whatever the client would raise after failing to read the reply.
"""

from __future__ import annotations

import httpx
from upstash_redis import Redis

from lectern.kv.port import KVUnavailable


class _GuardedTransport(httpx.BaseTransport):
    """Wraps the client's own transport (and its TLS context, which costs ~80 ms to build)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self._inner.handle_request(request)
        except httpx.TransportError as exc:
            raise KVUnavailable(f"kv request failed: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code in (401, 403):
            response.close()
            raise KVUnavailable(f"kv answered HTTP {response.status_code}")
        return response

    def close(self) -> None:
        self._inner.close()


def make_kv(url: str, token: str, timeout_seconds: float) -> Redis:
    redis = Redis(
        url=url,
        token=token,
        rest_retries=0,
        allow_telemetry=False,
        read_your_writes=False,
    )
    # The stock client's httpx.Client has no timeout; swap in a bounded one that reuses
    # its transport rather than building a second TLS context.
    stock = redis._http._client
    redis._http._client = httpx.Client(
        timeout=httpx.Timeout(timeout_seconds), transport=_GuardedTransport(stock._transport)
    )
    return redis

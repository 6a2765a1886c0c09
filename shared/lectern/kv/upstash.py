"""The real ``upstash-redis`` client everywhere; locally only its URL points at the emulator.

The client's commands, pipelines and scripts (upstash-ratelimit's too) all go through
one call of its HTTP client: ``post(url, headers=..., json=...)``, of whose answer it
reads ``headers`` and ``json()``. That HTTP client is swapped for ``KvHttp``, which
- keeps its connections alive with ``http.client`` (one per caller at once): httpx's
  layers (its models, httpcore's pool, h11's parser) cost about 0.2 ms of CPU per call
  more, and every authenticated request makes at least one;
- has a timeout, since the stock client's has none and a hung call would hold the
  Lambda to its limit;
- turns an outage or a refused token into ``KVUnavailable`` (answered as 503), instead of
  whatever the client would raise after failing to read the reply.

The stock httpx client is never built: building it loads the system's and certifi's
roots into a TLS context and imports httpcore, over 30 ms of every function's first
request, for a client that would be dropped.
An https connection uses ``lectern.core.tls``'s one context (certifi's roots, as the
stock client's).
"""

from __future__ import annotations

import functools
import http.client
import json
import select
import threading
from typing import Any
from urllib.parse import urlsplit

import upstash_redis.client
from upstash_redis import Redis
from upstash_redis.http import SyncHttpClient

from lectern.core.tls import client_context
from lectern.kv.port import KVUnavailable


class _Reply:
    """The part of an httpx response the client reads."""

    __slots__ = ("body", "headers", "status_code")

    def __init__(self, status_code: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status_code, self.headers, self.body = status_code, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class KvHttp:
    """What ``upstash-redis`` asks of its HTTP client, over kept-alive connections: one in
    a Lambda container (one request at a time), one per thread calling at once elsewhere
    (the local app's worker threads share the client).

    A connection the server closed while idle (a frozen container's, say) shows as
    readable before a request is written: it is replaced then, so a request is never
    sent twice. Any failure after that drops the connection and is ``KVUnavailable``.
    """

    def __init__(self, url: str, timeout_seconds: float) -> None:
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._timeout = timeout_seconds
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _take(self) -> http.client.HTTPConnection:
        """An idle connection still open, or a new one."""
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                break
            if conn.sock is not None and not select.select([conn.sock], [], [], 0)[0]:
                return conn
            conn.close()  # closed by the server (or unread data): not reused
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=client_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def post(self, url: str, *, headers: dict[str, str], json: Any) -> _Reply:
        path = urlsplit(url).path or "/"
        body = _dumps(json).encode()
        conn = self._take()
        try:
            conn.request("POST", path, body, {**headers, "Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise KVUnavailable(f"kv request failed: {type(exc).__name__}") from exc
        if response.will_close:
            conn.close()
        else:
            with self._lock:
                self._idle.append(conn)
        if response.status >= 500 or response.status in (401, 403):
            raise KVUnavailable(f"kv answered HTTP {response.status}")
        return _Reply(response.status, response.headers, data)

    def close(self) -> None:
        """Close the idle connections (a call in flight closes its own when it fails)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _KvSyncHttpClient(SyncHttpClient):
    """upstash-redis's HTTP layer (retries, decoding, sync tokens) over a ``KvHttp``.

    It sets what the stock ``__init__`` sets, but not its httpx client (a test holds the
    two to the same attributes)."""

    def __init__(
        self,
        encoding: Any,
        retries: int,
        retry_interval: float,
        sync_token_cb: Any = None,
        *,
        client: KvHttp,
    ) -> None:
        self._encoding = encoding
        self._retries = retries
        self._retry_interval = retry_interval
        self._sync_token_cb = sync_token_cb
        self._client = client  # type: ignore[assignment]


_making = threading.Lock()


def make_kv(url: str, token: str, timeout_seconds: float) -> Redis:
    # ``Redis.__init__`` names its HTTP layer's class; it is ours while one is made
    # (under the lock: this is the only place the product makes a ``Redis``).
    client = KvHttp(url, timeout_seconds)
    with _making:
        upstash_redis.client.SyncHttpClient = functools.partial(  # type: ignore[attr-defined,assignment]
            _KvSyncHttpClient, client=client
        )
        try:
            return Redis(
                url=url,
                token=token,
                rest_retries=0,
                allow_telemetry=False,
                read_your_writes=False,
            )
        finally:
            upstash_redis.client.SyncHttpClient = SyncHttpClient  # type: ignore[attr-defined]

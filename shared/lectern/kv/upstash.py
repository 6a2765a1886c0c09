"""The real ``upstash-redis`` client everywhere; locally only its URL points at the emulator.

The client's commands, pipelines and scripts (upstash-ratelimit's too) all go through
one call of its HTTP client: ``post(url, headers=..., json=...)``, of whose answer it
reads ``headers`` and ``json()``. That HTTP client is swapped for ``KvHttp``, which
- keeps one connection alive with ``http.client``: httpx's layers (its models, httpcore's
  pool, h11's parser) cost about 0.2 ms of CPU per call more, and every authenticated
  request makes at least one;
- has a timeout, since the stock client's has none and a hung call would hold the
  Lambda to its limit;
- turns an outage or a refused token into ``KVUnavailable`` (answered as 503), instead of
  whatever the client would raise after failing to read the reply.
"""

from __future__ import annotations

import http.client
import json
import select
import ssl
from typing import Any
from urllib.parse import urlsplit

from upstash_redis import Redis

from lectern.kv.port import KVUnavailable


class _Reply:
    """The part of an httpx response the client reads."""

    __slots__ = ("body", "headers", "status_code")

    def __init__(self, status_code: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status_code, self.headers, self.body = status_code, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class KvHttp:
    """What ``upstash-redis`` asks of its HTTP client, over one kept-alive connection.

    A connection the server closed while idle (a frozen container's, say) shows as
    readable before a request is written: it is replaced then, so a request is never
    sent twice. Any failure after that drops the connection and is ``KVUnavailable``.
    """

    def __init__(self, url: str, timeout_seconds: float, tls: ssl.SSLContext | None) -> None:
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._timeout = timeout_seconds
        self._tls = tls
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        conn = self._conn
        if conn is not None and conn.sock is not None:
            readable, _, _ = select.select([conn.sock], [], [], 0)
            if not readable:
                return conn
            self.close()  # closed by the server (or unread data): start afresh
        if self._https:
            tls = self._tls or ssl.create_default_context()
            conn = http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=tls
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        self._conn = conn
        return conn

    def post(self, url: str, *, headers: dict[str, str], json: Any) -> _Reply:
        path = urlsplit(url).path or "/"
        body = _dumps(json).encode()
        try:
            conn = self._connection()
            conn.request("POST", path, body, {**headers, "Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise KVUnavailable(f"kv request failed: {type(exc).__name__}") from exc
        if response.will_close:
            self.close()
        if response.status >= 500 or response.status in (401, 403):
            raise KVUnavailable(f"kv answered HTTP {response.status}")
        return _Reply(response.status, response.headers, data)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def make_kv(url: str, token: str, timeout_seconds: float) -> Redis:
    redis = Redis(
        url=url,
        token=token,
        rest_retries=0,
        allow_telemetry=False,
        read_your_writes=False,
    )
    # The stock httpx.Client is dropped, its TLS context (~80 ms to build) kept.
    stock = redis._http._client
    tls = getattr(getattr(stock._transport, "_pool", None), "_ssl_context", None)
    redis._http._client = KvHttp(url, timeout_seconds, tls)  # type: ignore[assignment]
    stock.close()
    return redis

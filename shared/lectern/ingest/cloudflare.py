"""R2 event notifications from a Cloudflare Queue, read over its HTTP pull API.

R2 publishes ``{"account", "bucket", "object": {"key", "size", "eTag"}, "action",
"eventTime"}`` to a queue; a scheduled function pulls batches
(``POST /accounts/{account}/queues/{queue}/messages/pull``), processes each message with
the same code as the SQS path, then acknowledges the done ones and marks the failed ones
for retry, by lease id (``POST .../messages/ack``). A message neither acked nor retried
comes back when its visibility timeout ends, so a crash loses nothing; processing is
idempotent, so a message seen twice changes nothing.

If the API does not answer, the run logs it and stops: the next scheduled run pulls
again, and leases already taken expire on their own.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic_settings import SettingsConfigDict

from lectern.config import SettingsGroup, get_settings
from lectern.core.secrets import secret_or_value
from lectern.observability import get_logger

logger = get_logger()

# How long a pulled batch stays leased to us: the function's Timeout. A message starts
# only with its whole budget left in the run (``reserve_ms``), so none is still being
# worked on when its lease ends and the next run pulls it again.
VISIBILITY_TIMEOUT_MS = 300_000
BATCH_SIZE = 10  # the API's maximum is 100; ingest work per message is heavy
MAX_RETRY_DELAY_SECONDS = 900


class QueueUnavailable(Exception):
    """The Cloudflare API did not answer, or answered with an error."""


@dataclass(frozen=True)
class PulledMessage:
    id: str
    lease_id: str
    body: str  # decoded text
    attempts: int
    timestamp_ms: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class PullSummary:
    pulled: int = 0
    acked: int = 0
    retried: int = 0
    batches: int = 0
    stopped: str | None = None  # why the run ended early, if it did


def decode_body(body: Any, metadata: dict[str, Any] | None) -> str:
    """The message body as text.

    Queues base64-encodes ``json`` and ``bytes`` messages for pull consumers and sends
    ``text`` as is; the type is in the ``CF-Content-Type`` metadata.
    """
    if not isinstance(body, str):
        raise ValueError("message body is not a string")
    kind = str((metadata or {}).get("CF-Content-Type", "json")).lower()
    if kind in ("json", "bytes"):
        try:
            return base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            # Not base64 after all: a body already in plain JSON is taken as it is.
            return body
    return body


def retry_delay(attempts: int) -> int:
    """Seconds before a failed message is offered again: doubling from 30 s, capped."""
    return int(min(MAX_RETRY_DELAY_SECONDS, 30 * 2 ** max(0, attempts - 1)))


class QueueClient:
    def __init__(self, http: Any, *, base_url: str, account_id: str, queue_id: str, token: str):
        self.http = http
        self.url = f"{base_url.rstrip('/')}/accounts/{account_id}/queues/{queue_id}/messages"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def _post(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        import httpx

        try:
            reply = self.http.post(f"{self.url}/{action}", json=payload, headers=self.headers)
        except httpx.HTTPError as exc:
            raise QueueUnavailable(f"{action}: {type(exc).__name__}") from exc
        try:
            data = reply.json()
        except ValueError:
            data = None
        if reply.status_code >= 400 or not isinstance(data, dict) or not data.get("success"):
            codes = [e.get("code") for e in (data or {}).get("errors", []) if isinstance(e, dict)]
            raise QueueUnavailable(f"{action}: HTTP {reply.status_code} {codes}")
        return data

    def pull(self, batch_size: int, visibility_timeout_ms: int) -> list[PulledMessage]:
        data = self._post(
            "pull", {"visibility_timeout_ms": visibility_timeout_ms, "batch_size": batch_size}
        )
        messages: list[PulledMessage] = []
        for item in (data.get("result") or {}).get("messages") or []:
            metadata = item.get("metadata") or {}
            try:
                body = decode_body(item.get("body"), metadata)
            except ValueError:
                body = ""  # undecodable: fails to parse, and is retried into the DLQ
            messages.append(
                PulledMessage(
                    id=str(item.get("id", "")),
                    lease_id=str(item["lease_id"]),
                    body=body,
                    attempts=int(item.get("attempts") or 0),
                    timestamp_ms=item.get("timestamp_ms"),
                    metadata=metadata,
                )
            )
        return messages

    def ack(self, acks: list[str], retries: list[tuple[str, int]]) -> None:
        self._post(
            "ack",
            {
                "acks": [{"lease_id": lease} for lease in acks],
                "retries": [{"lease_id": lease, "delay_seconds": d} for lease, d in retries],
            },
        )


class CloudflareSettings(SettingsGroup):
    """The Cloudflare Queue holding R2's event notifications (the ``ingest_r2_pull``
    function only)."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_CLOUDFLARE_")

    account_id: str | None = None
    queue_id: str | None = None
    api_token: str | None = None
    api_token_secret: str | None = None
    api_url: str = "https://api.cloudflare.com/client/v4"


def api_token(settings: CloudflareSettings) -> str:
    return secret_or_value(
        secret=settings.api_token_secret,
        value=settings.api_token,
        dependency="cloudflare",
        setting="LECTERN_CLOUDFLARE_API_TOKEN",
        max_age=get_settings().aws.secret_max_age_seconds,
    )


def http_client() -> Any:
    import httpx

    return httpx.Client(timeout=httpx.Timeout(10.0, connect=3.0))


def client_from_settings(settings: CloudflareSettings, http: Any) -> QueueClient | None:
    """A client for the configured queue, or None when no queue is configured."""
    if not (settings.account_id and settings.queue_id):
        return None
    return QueueClient(
        http,
        base_url=settings.api_url,
        account_id=settings.account_id,
        queue_id=settings.queue_id,
        token=api_token(settings),
    )


def _process_batch(
    messages: list[PulledMessage],
    process: Callable[[str], None],
    out_of_time: Callable[[], bool],
) -> tuple[list[str], list[tuple[str, int]], bool]:
    """Leases to ack, leases to retry (with their delays), and whether time ran short."""
    acks: list[str] = []
    retries: list[tuple[str, int]] = []
    short = False
    for message in messages:
        if out_of_time():
            retries.append((message.lease_id, 0))
            short = True
            continue
        started = time.monotonic()
        try:
            process(message.body)
        except Exception as exc:
            retries.append((message.lease_id, retry_delay(message.attempts)))
            logger.warning(
                "R2 event failed; it will be retried",
                extra={
                    "message_id": message.id,
                    "attempts": message.attempts,
                    "error": type(exc).__name__,
                },
            )
        else:
            acks.append(message.lease_id)
            logger.debug(
                "R2 event done",
                extra={"message_id": message.id, "ms": (time.monotonic() - started) * 1000},
            )
    return acks, retries, short


def drain(
    client: QueueClient,
    process: Callable[[str], None],
    *,
    batch_size: int = BATCH_SIZE,
    visibility_timeout_ms: int = VISIBILITY_TIMEOUT_MS,
    max_batches: int = 50,
    time_left_ms: Callable[[], int] | None = None,
    reserve_ms: int = 60_000,
) -> PullSummary:
    """Pull and process batches until the queue is empty, ``max_batches`` were taken, or
    less than ``reserve_ms`` is left. ``process`` raises for a message to be retried. A
    message is started only with ``reserve_ms`` left; the ones a batch leaves when time
    runs short are handed back at once, untouched."""

    def out_of_time() -> bool:
        return time_left_ms is not None and time_left_ms() < reserve_ms

    summary = PullSummary()
    while summary.batches < max_batches:
        if out_of_time():
            summary.stopped = "time"
            break
        try:
            messages = client.pull(batch_size, visibility_timeout_ms)
        except QueueUnavailable as exc:
            logger.warning("Cloudflare Queues pull failed", extra={"error": str(exc)})
            summary.stopped = "pull failed"
            break
        summary.batches += 1
        if not messages:
            break
        summary.pulled += len(messages)
        acks, retries, short = _process_batch(messages, process, out_of_time)
        try:
            client.ack(acks, retries)
        except QueueUnavailable as exc:
            # The leases expire and the messages come back; processing them again is safe.
            logger.warning("Cloudflare Queues ack failed", extra={"error": str(exc)})
            summary.stopped = "ack failed"
            break
        summary.acked += len(acks)
        summary.retried += len(retries)
        if short:
            summary.stopped = "time"
            break
        if len(messages) < batch_size:
            break  # short polling: a short batch means the queue is empty for now
    return summary

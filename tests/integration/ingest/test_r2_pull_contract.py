"""The R2 pull consumer against a recorded contract of the Cloudflare Queues HTTP API.

Requests and answers follow Cloudflare's documented pull-consumer shapes: ``POST
/accounts/{account}/queues/{queue}/messages/pull`` with ``visibility_timeout_ms`` and
``batch_size``, answered with ``result.messages[]`` (``body`` base64-encoded for the
``json`` and ``bytes`` content types, ``lease_id``, ``attempts``, ``metadata``), then
``POST .../messages/ack`` with ``acks`` and ``retries`` by lease id.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core import secrets
from lectern.documents.models import Document, DocumentStatus
from lectern.ingest.cloudflare import QueueClient, decode_body, drain, retry_delay
from local.events import LambdaContext
from local.functions import load_module
from local.stack import LocalStack
from tests.conftest import reset_clients
from tests.factories import make_account

pytestmark = pytest.mark.contract

API = "https://api.cloudflare.com/client/v4"
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
QUEUE = "0a8c1d2b7f9e4c3d8a1b2c3d4e5f6a7b"
TOKEN = "cf-test-token"
MESSAGES = f"{API}/accounts/{ACCOUNT}/queues/{QUEUE}/messages"


def r2_event(key: str, etag: str = "c846ff7a18f28c2e", action: str = "PutObject") -> dict[str, Any]:
    return {
        "account": ACCOUNT,
        "action": action,
        "bucket": "lectern",
        "object": {"key": key, "size": 1024, "eTag": etag},
        "eventTime": "2025-03-01T10:00:00.000Z",
    }


def pulled(body: Any, *, lease: str, attempts: int = 1, kind: str = "json") -> dict[str, Any]:
    """One message as the pull endpoint returns it."""
    raw = json.dumps(body) if not isinstance(body, str) else body
    encoded = base64.b64encode(raw.encode()).decode() if kind in ("json", "bytes") else raw
    return {
        "body": encoded,
        "id": uuid.uuid4().hex,
        "timestamp_ms": 1740823200000,
        "attempts": attempts,
        "metadata": {"CF-sourceMessageSource": "r2", "CF-Content-Type": kind},
        "lease_id": f"eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0..{lease}",
    }


def envelope(result: Any, *, success: bool = True, status: int = 200) -> httpx.Response:
    errors = [] if success else [{"code": 10000, "message": "Authentication error"}]
    return httpx.Response(
        status,
        json={"success": success, "errors": errors, "messages": [], "result": result},
    )


class FakeQueues:
    """Answers as the Cloudflare API does, and records every request."""

    def __init__(self, batches: list[list[dict[str, Any]]]) -> None:
        self.batches = list(batches)
        self.requests: list[httpx.Request] = []
        self.fail_ack = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == f"{MESSAGES}/pull":
            messages = self.batches.pop(0) if self.batches else []
            return envelope({"message_backlog_count": len(self.batches), "messages": messages})
        if str(request.url) == f"{MESSAGES}/ack":
            if self.fail_ack:
                return httpx.Response(502, text="<html>Bad gateway</html>")
            payload = json.loads(request.content)
            return envelope(
                {
                    "ackCount": len(payload["acks"]),
                    "retryCount": len(payload["retries"]),
                    "warnings": [],
                }
            )
        return httpx.Response(404, json={"success": False, "errors": [{"code": 7003}]})

    def calls(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(r.method, str(r.url), json.loads(r.content)) for r in self.requests]


def client_for(fake: Callable[[httpx.Request], httpx.Response]) -> QueueClient:
    http = httpx.Client(transport=httpx.MockTransport(fake))
    return QueueClient(http, base_url=API, account_id=ACCOUNT, queue_id=QUEUE, token=TOKEN)


def test_pull_then_ack_done_and_retry_failed_by_lease_with_the_exact_requests():
    fake = FakeQueues(
        [
            [
                pulled({"n": 1}, lease="lease-a"),
                pulled({"n": 2}, lease="lease-b", attempts=3),
                pulled("plain text", lease="lease-c", kind="text"),
            ]
        ]
    )
    seen: list[str] = []

    def process(body: str) -> None:
        seen.append(body)
        if body == '{"n": 2}':
            raise RuntimeError("transient")

    summary = drain(client_for(fake), process, batch_size=10, visibility_timeout_ms=120_000)
    assert seen == ['{"n": 1}', '{"n": 2}', "plain text"]
    assert fake.calls() == [
        ("POST", f"{MESSAGES}/pull", {"visibility_timeout_ms": 120_000, "batch_size": 10}),
        (
            "POST",
            f"{MESSAGES}/ack",
            {
                "acks": [
                    {"lease_id": pulled({}, lease="lease-a")["lease_id"]},
                    {"lease_id": pulled({}, lease="lease-c")["lease_id"]},
                ],
                "retries": [
                    {"lease_id": pulled({}, lease="lease-b")["lease_id"], "delay_seconds": 120}
                ],
            },
        ),
    ]
    for request in fake.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["content-type"] == "application/json"
    assert (summary.pulled, summary.acked, summary.retried, summary.stopped) == (3, 2, 1, None)


def test_full_batches_are_pulled_until_a_short_one():
    fake = FakeQueues(
        [
            [pulled({"i": i}, lease=f"a{i}") for i in range(2)],
            [pulled({"i": i}, lease=f"b{i}") for i in range(2)],
            [pulled({"i": 9}, lease="c")],
        ]
    )
    summary = drain(client_for(fake), lambda body: None, batch_size=2)
    assert [url.rsplit("/", 1)[1] for _, url, _ in fake.calls()] == [
        "pull", "ack", "pull", "ack", "pull", "ack",
    ]  # fmt: skip
    assert (summary.batches, summary.acked) == (3, 5)


def test_messages_a_run_has_no_time_left_for_are_handed_back_untouched():
    fake = FakeQueues(
        [[pulled({"n": i}, lease=f"l{i}") for i in range(4)], [pulled({}, lease="x")]]
    )
    left = iter([200_000, 200_000, 200_000, 100_000, 100_000])
    seen: list[str] = []
    summary = drain(
        client_for(fake), seen.append, time_left_ms=lambda: next(left), reserve_ms=150_000
    )
    # The run checked before the pull and before each message: two fit, two go back at
    # once (no delay), and no further batch is pulled.
    assert seen == ['{"n": 0}', '{"n": 1}']
    _, _, ack = fake.calls()[-1]
    assert [a["lease_id"] for a in ack["acks"]] == [
        pulled({}, lease=f"l{i}")["lease_id"] for i in (0, 1)
    ]
    assert ack["retries"] == [
        {"lease_id": pulled({}, lease=f"l{i}")["lease_id"], "delay_seconds": 0} for i in (2, 3)
    ]
    assert len(fake.batches) == 1
    assert (summary.acked, summary.retried, summary.stopped) == (2, 2, "time")


def test_an_empty_queue_is_one_pull_and_no_ack():
    fake = FakeQueues([])
    summary = drain(client_for(fake), lambda body: None)
    assert [url for _, url, _ in fake.calls()] == [f"{MESSAGES}/pull"]
    assert summary.pulled == 0


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: envelope(None, success=False, status=403),
        lambda request: httpx.Response(503, text="upstream unavailable"),
        lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused", request=request)),
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
    ],
    ids=["auth-error", "5xx", "refused", "timeout"],
)
def test_an_api_that_does_not_answer_ends_the_run_quietly(answer: Any):
    processed: list[str] = []
    summary = drain(client_for(answer), processed.append)
    assert processed == []
    assert summary.stopped == "pull failed"


def test_a_failed_ack_ends_the_run_and_the_leases_simply_expire():
    fake = FakeQueues([[pulled({"n": 1}, lease="a")], [pulled({"n": 2}, lease="b")]])
    fake.fail_ack = True
    summary = drain(client_for(fake), lambda body: None, batch_size=1)
    assert summary.stopped == "ack failed"
    assert summary.acked == 0
    assert len(fake.batches) == 1  # no further pull after a failed ack


def test_bodies_are_decoded_per_content_type_and_retries_back_off():
    raw = '{"a": 1}'
    b64 = base64.b64encode(raw.encode()).decode()
    assert decode_body(b64, {"CF-Content-Type": "json"}) == raw
    assert decode_body(b64, {"CF-Content-Type": "bytes"}) == raw
    assert decode_body(raw, {"CF-Content-Type": "text"}) == raw
    assert decode_body(raw, {"CF-Content-Type": "json"}) == raw  # already plain JSON
    assert decode_body(b64, None) == raw  # json is the default type
    assert [retry_delay(a) for a in (0, 1, 2, 3, 10)] == [30, 30, 60, 120, 900]


# --- the scheduled function, through the real pipeline ------------------------------------


@pytest.fixture
def configured(settings_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    settings_env.setenv("LECTERN_CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    settings_env.setenv("LECTERN_CLOUDFLARE_QUEUE_ID", QUEUE)
    settings_env.setenv("LECTERN_CLOUDFLARE_API_TOKEN", TOKEN)
    settings_env.setenv("LECTERN_CLOUDFLARE_API_URL", API)
    reset_clients()
    return settings_env


class ScheduledContext(LambdaContext):
    """The context of a scheduled run with the function's five-minute timeout."""

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def use_fake(monkeypatch: pytest.MonkeyPatch, fake: Callable[[httpx.Request], httpx.Response]):
    module = load_module("ingest_r2_pull", "handler.py")
    monkeypatch.setattr(
        module, "http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake))
    )
    return module.handler


def test_r2_events_reach_the_pipeline_and_are_acked(
    db: Session, stack: LocalStack, configured: pytest.MonkeyPatch
):
    owner = make_account(db)
    doc_id = uuid.uuid4()
    key = f"documents/{owner.id}/{doc_id}"
    data = b"# Heart\n\nThe heart has four chambers. Blood flows through the valves."
    etag = (
        stack.aws_client("s3")
        .put_object(
            Bucket=get_settings().storage.bucket, Key=key, Body=data, ContentType="text/markdown"
        )["ETag"]
        .strip('"')
    )
    db.add(
        Document(
            id=doc_id,
            owner_id=owner.id,
            filename="heart.md",
            content_type="text/markdown",
            size_bytes=len(data),
            object_key=key,
            status=DocumentStatus.processing,
            etag=etag,
        )
    )
    db.commit()
    fake = FakeQueues(
        [
            [
                pulled(r2_event(key, etag), lease="ok"),
                pulled(r2_event(key, etag, action="DeleteObject"), lease="ignored"),
                pulled("not an event", lease="bad", kind="text"),
            ]
        ]
    )
    handler = use_fake(configured, fake)
    result = handler({}, ScheduledContext(function_name="lectern-r2-pull"))
    assert result == {"status": "ok", "pulled": 3, "acked": 2, "retried": 1, "stopped": None}
    ack = fake.calls()[-1][2]
    assert [a["lease_id"].rsplit(".", 1)[1] for a in ack["acks"]] == ["ok", "ignored"]
    assert [r["lease_id"].rsplit(".", 1)[1] for r in ack["retries"]] == ["bad"]
    db.expire_all()
    stored = db.get(Document, doc_id)
    assert stored is not None
    assert stored.status == DocumentStatus.ready
    assert stored.chunk_count >= 1


def test_the_token_can_come_from_a_secret(
    configured: pytest.MonkeyPatch,
):
    configured.delenv("LECTERN_CLOUDFLARE_API_TOKEN")
    configured.setenv("LECTERN_CLOUDFLARE_API_TOKEN_SECRET", "lectern/cloudflare-token")
    reset_clients()
    asked: list[str] = []

    def secret(name: str, max_age: int) -> str:
        asked.append(name)
        return "from-secrets-manager"

    configured.setattr(secrets, "resolve_secret", secret)
    fake = FakeQueues([])
    handler = use_fake(configured, fake)
    assert handler({}, ScheduledContext())["status"] == "ok"
    assert asked == ["lectern/cloudflare-token"]
    assert fake.requests[0].headers["authorization"] == "Bearer from-secrets-manager"


def test_without_a_queue_configured_the_function_does_nothing(
    settings_env: pytest.MonkeyPatch,
):
    fake = FakeQueues([])
    handler = use_fake(settings_env, fake)
    assert handler({}, ScheduledContext()) == {"status": "disabled"}
    assert fake.requests == []


def test_with_the_api_down_the_function_returns_without_raising(configured: pytest.MonkeyPatch):
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    handler = use_fake(configured, down)
    result = handler({}, ScheduledContext())
    assert result["status"] == "unavailable"
    assert result["stopped"] == "pull failed"

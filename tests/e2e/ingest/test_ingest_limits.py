"""The attack of hardening finding F2, played through the HTTP layer: a small upload that
would cost unbounded extraction and embedding work.

The document is made and completed through the documents Lambda handler, the bytes go
to the presigned URL, and the local worker hands the queue's messages (the bucket's
notification and completion's "process document") to the real ingest handler, deleting
what it does not report failed, as Lambda's event source mapping does. The embedder is
the real local one, with every call counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from lectern.db.engine import get_sessionmaker
from local.events import LambdaContext
from local.functions import load_module
from local.ingest_worker import IngestWorker, sqs_record
from local.stack import BUCKET, LocalStack
from tests.conftest import reset_clients
from tests.e2e.conftest import invoke
from tests.e2e.ingest.conftest import queue_depth
from tests.e2e.ingest.test_ingest_local_path import TEXT
from tests.factories import new_account
from tests.pdfs import bomb
from tests.unit.ingest.test_extract_and_chunk import make_pdf


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch sent to the embedder (the real one, counted)."""
    from lectern.embeddings.factory import get_embedder

    real = get_embedder()
    batches: list[int] = []

    class Counted:
        name, provider, dimensions, max_batch = (
            real.name,
            real.provider,
            real.dimensions,
            real.max_batch,
        )

        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            batches.append(len(texts))
            return real.embed(texts)

    monkeypatch.setattr("lectern.ingest.pipeline.get_embedder", Counted)
    return batches


def upload_and_complete(token: str, data: bytes, content_type: str) -> uuid.UUID:
    created = invoke(
        "documents",
        "POST",
        "/v1/documents",
        token=token,
        body={"filename": "notes", "content_type": content_type, "size_bytes": len(data)},
    )
    assert created.status == 201, created.body
    upload = created.body["upload"]
    assert httpx.put(upload["url"], content=data, headers=upload["headers"]).status_code == 200
    doc_id = created.body["id"]
    done = invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=token)
    assert done.status == 202, done.body
    return uuid.UUID(doc_id)


def document(token: str, doc_id: uuid.UUID) -> dict[str, Any]:
    reply = invoke("documents", "GET", f"/v1/documents/{doc_id}", token=token)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def chunk_rows(doc_id: uuid.UUID) -> int:
    with get_sessionmaker()() as db:
        return int(
            db.scalar(text("SELECT count(*) FROM chunks WHERE document_id = :d"), {"d": doc_id})
            or 0
        )


def test_a_compression_bomb_fails_once_with_its_reason_and_nothing_is_embedded(
    stack: LocalStack, worker: IngestWorker, in_flight: int, embedded: list[int]
):
    owner = new_account()
    data = bomb(10_000_000)  # ~37 KB that unpack to 10 MB of text-showing operators
    doc_id = upload_and_complete(owner.token, data, "application/pdf")
    # Two messages: the bucket's notification and completion's; the second finds the
    # version handled.
    assert worker.run_once() >= 2
    doc = document(owner.token, doc_id)
    assert doc["status"] == "failed"
    assert doc["error"] == (
        "The PDF unpacks to more than 50 times its own size, which documents do not; it was "
        "not read. If it is a real document, print it to a new PDF and upload that."
    )
    assert doc["chunk_count"] == 0 and chunk_rows(doc_id) == 0
    assert embedded == []
    # Acknowledged, not retried: nothing is left visible or in flight.
    assert queue_depth(stack) == (0, in_flight)


def test_a_redelivered_message_for_a_refused_file_does_no_work(
    stack: LocalStack, worker: IngestWorker, in_flight: int, embedded: list[int]
):
    owner = new_account()
    doc_id = upload_and_complete(owner.token, bomb(), "application/pdf")
    sqs = stack.aws_client("sqs")
    url = stack.env["LECTERN_INGEST_QUEUE_URL"]
    # The messages this upload queued, read without taking them (visible again at once),
    # to be delivered again later as SQS may.
    held = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    bodies = [m["Body"] for m in held["Messages"] if str(doc_id) in m["Body"]]
    assert len(bodies) == 2
    worker.run_once()
    first = document(owner.token, doc_id)
    assert first["status"] == "failed"
    # With the object gone, any redelivery that read it again would fail differently.
    stack.aws_client("s3").delete_object(Bucket=BUCKET, Key=f"documents/{owner.id}/{doc_id}")
    for body in bodies * 3:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    worker.run_once()
    again = document(owner.token, doc_id)
    assert (again["error"], again["updated_at"]) == (first["error"], first["updated_at"])
    assert embedded == [] and chunk_rows(doc_id) == 0
    assert queue_depth(stack) == (0, in_flight)


PAGES = make_pdf([f"Page {i} explains how the sinoatrial node sets the rhythm." for i in range(8)])


@pytest.mark.parametrize(
    "case",
    [
        (
            "LECTERN_INGEST_MAX_PAGES",
            "5",
            PAGES,
            "application/pdf",
            "The PDF has 8 pages; the limit is 5. Split it into smaller files and upload those.",
        ),
        (
            "LECTERN_INGEST_MAX_CHARACTERS",
            "2000",
            TEXT,
            "text/markdown",
            "The file has more than 2,000 characters of text; the limit is 2,000.",
        ),
        (
            "LECTERN_INGEST_MAX_CHUNKS",
            "3",
            TEXT,
            "text/markdown",
            "The file's text makes more than 3 passages to index; the limit is 3.",
        ),
        (
            "LECTERN_INGEST_JOB_SECONDS",
            "0.001",
            TEXT,
            "text/markdown",
            "Reading the file took longer than 0.001 seconds, the most one document may take.",
        ),
    ],
    ids=["pages", "characters", "chunks", "time"],
)
def test_a_file_over_a_cap_fails_with_a_reason_a_person_understands(
    stack: LocalStack,
    worker: IngestWorker,
    embedded: list[int],
    settings_env: pytest.MonkeyPatch,
    case: tuple[str, str, bytes, str, str],
):
    setting, value, data, content_type, reason = case
    in_flight = queue_depth(stack)[1]
    settings_env.setenv(setting, value)
    reset_clients()
    owner = new_account()
    doc_id = upload_and_complete(owner.token, data, content_type)
    worker.run_once()
    doc = document(owner.token, doc_id)
    assert doc["status"] == "failed", doc
    assert doc["error"].startswith(reason)
    assert doc["chunk_count"] == 0 and chunk_rows(doc_id) == 0
    assert embedded == []
    assert queue_depth(stack) == (0, in_flight)
    # The same file under the default caps is an ordinary document.
    settings_env.delenv(setting)
    reset_clients()
    fine = upload_and_complete(owner.token, data, content_type)
    worker.run_once()
    assert document(owner.token, fine)["status"] == "ready"
    assert sum(embedded) == chunk_rows(fine) > 0


def test_a_job_is_not_started_without_its_whole_budget_left(
    stack: LocalStack, worker: IngestWorker, in_flight: int, embedded: list[int]
):
    owner = new_account()
    doc_id = upload_and_complete(owner.token, TEXT, "text/markdown")
    sqs = stack.aws_client("sqs")
    url = stack.env["LECTERN_INGEST_QUEUE_URL"]
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=30
    )["Messages"]
    event = {"Records": [sqs_record(m, worker.queue_arn, "us-east-1") for m in messages]}
    handler = load_module("ingest", "handler.py").handler
    # 100 s left: less than the 120 s budget and the write after it.
    late = LambdaContext(function_name="lectern-ingest", remaining_ms=100_000)
    result = handler(event, late)
    assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == {
        m["MessageId"] for m in messages
    }
    assert document(owner.token, doc_id)["status"] == "processing"
    assert embedded == [] and chunk_rows(doc_id) == 0
    # Handed back as they were: the next invocation, with its time, does the work once.
    for m in messages:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
        )
    worker.run_once()
    doc = document(owner.token, doc_id)
    assert doc["status"] == "ready"
    assert sum(embedded) == doc["chunk_count"] == chunk_rows(doc_id)
    assert queue_depth(stack) == (0, in_flight)

"""The real upload path, played locally: presigned PUT to moto's S3 → the bucket's
notification on moto's SQS → the local worker → the ingest Lambda handler → chunks.

Nothing here calls the pipeline directly: the document is made through the documents
function, the bytes go over HTTP to the presigned URL, and the worker receives from the
queue and deletes what the handler did not report failed, as Lambda's event source
mapping does.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from lectern.config import get_settings
from lectern.db.engine import get_sessionmaker
from local.ingest_worker import IngestWorker
from local.stack import LocalStack
from tests.e2e.conftest import invoke
from tests.e2e.ingest.conftest import queue_depth
from tests.factories import new_account

TEXT = "\n\n".join(
    f"## Part {p}\n\n"
    + " ".join(f"The sinoatrial node sets heart rhythm number {p}-{i}." for i in range(25))
    for p in range(6)
).encode()


def upload(token: str, data: bytes, content_type: str = "text/markdown") -> uuid.UUID:
    """Create the document, then PUT the bytes to the presigned URL as a client would."""
    created = invoke(
        "documents",
        "POST",
        "/v1/documents",
        token=token,
        body={"filename": "rhythm.md", "content_type": content_type, "size_bytes": len(data)},
    )
    assert created.status == 201, created.body
    put = httpx.put(
        created.body["upload"]["url"], content=data, headers=created.body["upload"]["headers"]
    )
    assert put.status_code == 200, put.text
    return uuid.UUID(created.body["id"])


def document(token: str, doc_id: uuid.UUID) -> dict[str, Any]:
    reply = invoke("documents", "GET", f"/v1/documents/{doc_id}", token=token)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def chunk_count(doc_id: uuid.UUID) -> int:
    with get_sessionmaker()() as db:
        return int(
            db.scalar(text("SELECT count(*) FROM chunks WHERE document_id = :d"), {"d": doc_id})
            or 0
        )


def test_an_upload_is_processed_from_the_bucket_notification(
    stack: LocalStack, worker: IngestWorker, in_flight: int
):
    owner = new_account()
    doc_id = upload(owner.token, TEXT)
    assert queue_depth(stack)[0] >= 1  # the bucket told the queue about the new object
    assert worker.run_once() >= 1
    doc = document(owner.token, doc_id)
    assert doc["status"] == "ready", doc
    assert doc["error"] is None
    assert doc["chunk_count"] == chunk_count(doc_id) > 1
    assert queue_depth(stack) == (0, in_flight)  # handled messages were deleted


def test_completion_and_the_notification_together_leave_one_set_of_chunks(
    stack: LocalStack, worker: IngestWorker, in_flight: int
):
    owner = new_account()
    doc_id = upload(owner.token, TEXT)
    # The client completes before the worker runs: both messages are now queued.
    completed = invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token)
    assert completed.status in (200, 202), completed.body
    assert queue_depth(stack)[0] == 2
    worker.run_once()
    doc = document(owner.token, doc_id)
    assert doc["status"] == "ready"
    assert doc["chunk_count"] == chunk_count(doc_id)
    assert queue_depth(stack) == (0, in_flight)


def test_a_file_that_is_not_what_it_claims_fails_and_is_not_retried(
    stack: LocalStack, worker: IngestWorker, in_flight: int
):
    owner = new_account()
    doc_id = upload(owner.token, b"plain words, declared as a PDF", "application/pdf")
    worker.run_once()
    doc = document(owner.token, doc_id)
    assert doc["status"] == "failed"
    assert "PDF" in doc["error"]
    assert queue_depth(stack) == (0, in_flight)


def test_a_malformed_message_stays_on_the_queue_for_its_retries(
    stack: LocalStack, worker: IngestWorker, in_flight: int
):
    sqs = stack.aws_client("sqs")
    sqs.send_message(
        QueueUrl=stack.env["LECTERN_INGEST_QUEUE_URL"], MessageBody=json.dumps({"what": "?"})
    )
    assert worker.run_once() == 1
    # Not deleted: invisible until the visibility timeout, then redelivered, then the DLQ.
    assert queue_depth(stack) == (0, in_flight + 1)
    dlq = sqs.get_queue_attributes(
        QueueUrl=stack.env["LECTERN_INGEST_QUEUE_URL"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]["RedrivePolicy"]
    assert json.loads(dlq)["maxReceiveCount"] == 5


def test_the_worker_thread_processes_as_objects_land_and_stops_cleanly(
    stack: LocalStack, worker: IngestWorker, in_flight: int
):
    owner = new_account()
    worker.start()
    try:
        doc_id = upload(owner.token, TEXT)
        deadline = time.monotonic() + 30
        while document(owner.token, doc_id)["status"] != "ready":
            assert time.monotonic() < deadline, "the worker did not process the upload"
            time.sleep(0.2)
    finally:
        started = time.monotonic()
        worker.stop()
    assert time.monotonic() - started < 5
    assert worker._thread is None
    # The message was deleted by the worker; nothing is left in flight.
    assert queue_depth(stack) == (0, in_flight)


def test_the_event_the_handler_gets_is_the_one_lambda_builds(
    stack: LocalStack, worker: IngestWorker, in_flight: int, monkeypatch: pytest.MonkeyPatch
):
    seen: list[dict[str, Any]] = []

    def capture(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        return {"batchItemFailures": []}

    from local import ingest_worker

    monkeypatch.setattr(
        ingest_worker,
        "load_module",
        lambda *args: type("M", (), {"handler": staticmethod(capture)}),
    )
    sqs = stack.aws_client("sqs")
    sqs.send_message(
        QueueUrl=stack.env["LECTERN_INGEST_QUEUE_URL"],
        MessageBody=json.dumps({"type": "process_lesson", "lesson_id": str(uuid.UUID(int=0))}),
        MessageAttributes={"origin": {"DataType": "String", "StringValue": "outbox"}},
    )
    worker.run_once()
    (record,) = seen[0]["Records"]
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":lectern-ingest")
    assert record["awsRegion"] == get_settings().aws.region
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(
        record["attributes"]
    )
    assert record["messageAttributes"]["origin"]["stringValue"] == "outbox"
    assert record["messageAttributes"]["origin"]["dataType"] == "String"
    assert queue_depth(stack) == (0, in_flight)

"""The local stand-in for Lambda's SQS event source mapping on the ingest queue.

``make dev`` runs it on a thread: it long-polls moto's ingest queue, hands each batch to
``functions/ingest/handler.py`` as the exact event Lambda builds from SQS messages, and
deletes the messages the handler did not list in ``batchItemFailures``. Failed messages
come back after the queue's visibility timeout and go to the dead-letter queue after its
``maxReceiveCount``, as in AWS. ``run_once()`` drains what is queued now (tests, benches).
"""

from __future__ import annotations

import threading
from typing import Any

from local.events import LambdaContext
from local.functions import load_module

BATCH_SIZE = 10  # the SQS event source mapping's batch size in template.yaml
TIMEOUT_MS = 300_000  # the ingest function's Timeout in template.yaml


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of a Lambda SQS event, from a ReceiveMessage answer's message."""
    attributes = {
        name: message.get("Attributes", {}).get(name)
        for name in (
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
        )
    }
    extra = {
        k: v
        for k, v in message.get("Attributes", {}).items()
        if k in ("SequenceNumber", "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader")
    }
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {**{k: v for k, v in attributes.items() if v is not None}, **extra},
        # Lambda writes message attributes in lower camel case, with the list fields.
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class IngestWorker:
    """Poll the ingest queue and run the ingest handler, like the event source mapping."""

    def __init__(
        self,
        queue_url: str | None = None,
        *,
        sqs: Any = None,
        batch_size: int = BATCH_SIZE,
        wait_seconds: int = 1,
    ) -> None:
        from lectern.config import get_settings
        from lectern.queue.factory import get_queue

        settings = get_settings()
        url = queue_url or settings.ingest.queue_url
        if not url:
            raise RuntimeError("LECTERN_INGEST_QUEUE_URL is not set")
        self.queue_url: str = url
        # The app's own SQS client: the same endpoint, timeouts and retries.
        self.sqs = sqs or get_queue().client
        self.region = settings.aws.region
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        self._arn: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def queue_arn(self) -> str:
        if self._arn is None:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
            )
            self._arn = str(attributes["Attributes"]["QueueArn"])
        return self._arn

    def poll(self, wait_seconds: int = 0) -> int:
        """Receive one batch, run the handler on it, delete what succeeded; the count."""
        reply = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = reply.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [sqs_record(m, self.queue_arn, self.region) for m in messages]}
        handler = load_module("ingest", "handler.py").handler
        try:
            result = handler(
                event, LambdaContext(function_name="lectern-ingest", remaining_ms=TIMEOUT_MS)
            )
        except Exception as exc:
            # As in AWS: a handler that raises fails the whole batch; it comes back later.
            print(f"[ingest] batch failed: {type(exc).__name__}: {exc}", flush=True)
            return len(messages)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        return len(messages)

    def run_once(self, max_batches: int = 1000) -> int:
        """Handle every message visible now; the number handled (failures included)."""
        handled = 0
        for _ in range(max_batches):
            count = self.poll(wait_seconds=0)
            if not count:
                break
            handled += count
        return handled

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="ingest-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling and wait for the batch in hand to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll(wait_seconds=self.wait_seconds)
            except Exception as exc:  # moto gone at shutdown, a network hiccup: keep going
                print(f"[ingest] poll failed: {type(exc).__name__}: {exc}", flush=True)
                self._stop.wait(1.0)

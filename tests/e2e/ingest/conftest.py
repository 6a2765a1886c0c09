"""The local worker on the shared ingest queue, and the queue's state before a test."""

from __future__ import annotations

import pytest

from local.ingest_worker import IngestWorker
from local.stack import LocalStack


def queue_depth(stack: LocalStack) -> tuple[int, int]:
    """(visible, in flight) messages on the ingest queue."""
    attributes = stack.aws_client("sqs").get_queue_attributes(
        QueueUrl=stack.env["LECTERN_INGEST_QUEUE_URL"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


@pytest.fixture
def worker(stack: LocalStack) -> IngestWorker:
    worker = IngestWorker(stack.env["LECTERN_INGEST_QUEUE_URL"], sqs=stack.aws_client("sqs"))
    worker.run_once()  # what earlier tests left visible on the shared queue
    return worker


@pytest.fixture
def in_flight(stack: LocalStack, worker: IngestWorker) -> int:
    """Messages already in flight (failed earlier, waiting out the visibility timeout):
    the queue's counts are compared against it."""
    visible, hidden = queue_depth(stack)
    assert visible == 0
    return hidden

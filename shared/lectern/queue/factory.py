"""The ingest queue, made once per container. boto3 loads on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lectern.config import get_settings
from lectern.core.aws import close_client
from lectern.core.cache import cached_client

if TYPE_CHECKING:
    from lectern.queue.port import IngestQueue


@cached_client(close=close_client)
def get_queue() -> IngestQueue:
    from lectern.core.aws import aws_client
    from lectern.queue.sqs import SqsQueue

    settings = get_settings()
    client = aws_client(
        "sqs",
        endpoint_url=settings.aws.endpoint_url,
        region=settings.aws.region,
        connect_timeout=3,
        read_timeout=5,
        retries={"max_attempts": 2},
    )
    return SqsQueue(client, settings.ingest.queue_url)

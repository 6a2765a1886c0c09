"""Messages to the ingest queue (Amazon SQS; moto's SQS locally). boto3 loads on first use."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from lectern.config import get_settings
from lectern.errors import DependencyUnavailable


@lru_cache(maxsize=1)
def get_sqs() -> Any:
    from lectern.core.aws import aws_client

    settings = get_settings()
    return aws_client(
        "sqs",
        endpoint_url=settings.aws_endpoint_url,
        region=settings.aws_region,
        connect_timeout=3,
        read_timeout=5,
        retries={"max_attempts": 2},
    )


def send_ingest_messages(bodies: list[dict[str, Any]]) -> None:
    """Queue messages for the ingest function, ten per SQS call; 503 if SQS is down."""
    from botocore.exceptions import BotoCoreError, ClientError

    queue_url = get_settings().ingest_queue_url
    if not queue_url:
        raise DependencyUnavailable("queue", "LECTERN_INGEST_QUEUE_URL is not set")
    try:
        for start in range(0, len(bodies), 10):
            batch = bodies[start : start + 10]
            reply = get_sqs().send_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "MessageBody": json.dumps(body, separators=(",", ":"))}
                    for i, body in enumerate(batch)
                ],
            )
            if reply.get("Failed"):
                raise DependencyUnavailable("queue", f"{len(reply['Failed'])} messages refused")
    except (BotoCoreError, ClientError) as exc:
        raise DependencyUnavailable("queue", f"sending failed: {type(exc).__name__}") from exc


def send_ingest_message(body: dict[str, Any]) -> None:
    send_ingest_messages([body])


def reset_sqs() -> None:
    get_sqs.cache_clear()

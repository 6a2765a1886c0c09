"""The ingest queue on Amazon SQS (moto's SQS locally)."""

from __future__ import annotations

import json
from typing import Any

from lectern.errors import DependencyUnavailable


class SqsQueue:
    def __init__(self, client: Any, url: str | None) -> None:
        # The boto3 client itself, for the local worker and tests that read the queue.
        self.client = client
        self.url = url

    def send(self, bodies: list[dict[str, Any]]) -> None:
        """Ten messages per SQS call; 503 if SQS is down."""
        from botocore.exceptions import BotoCoreError, ClientError

        if not self.url:
            raise DependencyUnavailable("queue", "LECTERN_INGEST_QUEUE_URL is not set")
        try:
            for start in range(0, len(bodies), 10):
                batch = bodies[start : start + 10]
                reply = self.client.send_message_batch(
                    QueueUrl=self.url,
                    Entries=[
                        {"Id": str(i), "MessageBody": json.dumps(body, separators=(",", ":"))}
                        for i, body in enumerate(batch)
                    ],
                )
                if reply.get("Failed"):
                    raise DependencyUnavailable("queue", f"{len(reply['Failed'])} messages refused")
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("queue", f"sending failed: {type(exc).__name__}") from exc

"""The ingest queue port: "process document/lesson" messages for the ingest function."""

from __future__ import annotations

from typing import Any, Protocol


class IngestQueue(Protocol):
    def send(self, bodies: list[dict[str, Any]]) -> None:
        """Queue these messages (JSON objects); DependencyUnavailable("queue") if the
        queue is not configured or does not answer."""

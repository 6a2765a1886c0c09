"""The local stand-in for EventBridge Scheduler: runs the scheduled functions in-process.

``make dev`` starts one timer per schedule; each run calls the function's real handler
with the event the scheduler would send, so local data gets its rollups, partitions,
clean-up and search index as a deployed stage does. ``POST /_local/aggregate``,
``POST /_local/search-sync`` and ``POST /_local/outbox-relay`` run them at once.
"""

from __future__ import annotations

import contextlib
import io
import threading
from typing import Any

from local.events import LambdaContext
from local.functions import load_module

# The same rate as template.yaml's schedule for AggregateFunction.
AGGREGATE_EVERY_SECONDS = 3600
# Faster than the deployed minute, so a local edit is searchable (and re-embedded) at once.
SEARCH_SYNC_EVERY_SECONDS = 5
# Likewise, so notification mail shows in /_local/mail within seconds.
OUTBOX_RELAY_EVERY_SECONDS = 5


def run_aggregate(event: dict[str, Any] | None = None) -> dict[str, Any]:
    handler = load_module("aggregate", "handler.py").handler
    result: dict[str, Any] = handler(event or {}, LambdaContext())
    return result


def run_search_sync(event: dict[str, Any] | None = None) -> dict[str, Any]:
    handler = load_module("search_sync", "handler.py").handler
    # Its backlog metrics (EMF lines on stdout) every 5 s would flood the console.
    with contextlib.redirect_stdout(io.StringIO()):
        result: dict[str, Any] = handler(event or {}, LambdaContext())
    return result


def run_outbox_relay(event: dict[str, Any] | None = None) -> dict[str, Any]:
    handler = load_module("outbox_relay", "handler.py").handler
    with contextlib.redirect_stdout(io.StringIO()):
        result: dict[str, Any] = handler(event or {}, LambdaContext())
    return result


class Schedule:
    """Call ``run`` now, then every ``every_seconds``, on a daemon thread, until stopped."""

    def __init__(self, name: str, every_seconds: float, run: Any) -> None:
        self.name = name
        self.every_seconds = every_seconds
        self._run = run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"schedule-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._run()
            except Exception as exc:  # a failed run must not end the schedule
                print(f"[{self.name}] run failed: {type(exc).__name__}: {exc}", flush=True)
            self._stop.wait(self.every_seconds)

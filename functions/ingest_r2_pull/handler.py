"""Function `ingest_r2_pull`: R2 event notifications from a Cloudflare Queue (scheduled).

R2 cannot notify SQS; it notifies a Cloudflare Queue. On a schedule this pulls that
queue over Cloudflare's HTTP API, processes each event with the same pipeline as the SQS
handler, acks what succeeded and marks the rest for retry with a growing delay (see
``lectern.ingest.cloudflare``). With no queue configured it does nothing.
"""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup

# isort: split

import warnings
from typing import Any

from lectern.core import snapstart
from lectern.errors import DependencyUnavailable
from lectern.ingest.cloudflare import CloudflareSettings, client_from_settings, drain, http_client
from lectern.ingest.pipeline import handle_message, seconds_needed
from lectern.observability import count, get_logger, get_metrics

logger = get_logger()
metrics = get_metrics()
# Under SnapStart: no client kept across the snapshot, random re-seeded on restore.
snapstart.register()
warnings.filterwarnings("ignore", message="No application metrics to publish")


def _process(body: str) -> None:
    handle_message(body)


@logger.inject_lambda_context
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(_event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    lectern.startup.loaded()
    with http_client() as http:
        try:
            client = client_from_settings(CloudflareSettings(), http)
        except DependencyUnavailable as exc:  # no token, or its secret unreadable: next run
            logger.warning("Cloudflare API token unavailable", extra={"error": exc.reason})
            return {"status": "unavailable"}
        if client is None:
            return {"status": "disabled"}
        time_left = getattr(context, "get_remaining_time_in_millis", None)
        # Each message may be a document's whole budget: one starts only with that left.
        summary = drain(
            client,
            _process,
            time_left_ms=time_left,
            reserve_ms=max(60_000, int(seconds_needed() * 1000)),
        )
    if summary.acked:
        count("R2EventsAcked", summary.acked)
    if summary.retried:
        count("R2EventsRetried", summary.retried)
    logger.info("R2 pull finished", extra={"summary": summary.__dict__})
    return {
        "status": "ok" if summary.stopped in (None, "time") else "unavailable",
        "pulled": summary.pulled,
        "acked": summary.acked,
        "retried": summary.retried,
        "stopped": summary.stopped,
    }

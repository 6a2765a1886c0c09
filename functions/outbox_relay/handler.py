"""Function `outbox_relay`: delivers every registered relay topic of the outbox
(notification mail ...) after the work that wrote it committed (EventBridge Scheduler).

A run drains each topic until it is empty, its outside system is down, or the Lambda's
time is nearly up; what is left waits for the next run (see ``lectern.core.relay``).
"""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup

# isort: split

import time
import warnings
from typing import Any

from lectern.core import relay, snapstart
from lectern.observability import get_logger, get_metrics

logger = get_logger()
metrics = get_metrics()
# Under SnapStart: no client kept across the snapshot, random re-seeded on restore.
snapstart.register()
warnings.filterwarnings("ignore", message="No application metrics to publish")

# Time kept back from the Lambda timeout to settle the last delivery and flush metrics.
SAFETY_MARGIN_SECONDS = 15.0


def _deadline(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds = remaining() / 1000
    return time.monotonic() + seconds - min(SAFETY_MARGIN_SECONDS, seconds / 4)


@logger.inject_lambda_context
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(_event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    lectern.startup.loaded()
    result = relay.run(deadline=_deadline(context))
    _record_backlog(result["backlog"])
    busy = any(isinstance(r, dict) and r.get("leased") for r in result.values())
    (logger.info if busy else logger.debug)("outbox_relay finished", extra={"result": result})
    return result


def _record_backlog(state: dict[str, dict[str, float]]) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    for topic, current in state.items():
        name = "OutboxRelay" + topic.title().replace("_", "")
        metrics.add_metric(name=f"{name}Rows", unit=MetricUnit.Count, value=current["rows"])
        metrics.add_metric(
            name=f"{name}OldestSeconds", unit=MetricUnit.Seconds, value=current["oldest_seconds"]
        )

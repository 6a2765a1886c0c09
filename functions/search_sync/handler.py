"""Function `search_sync`: drains the outbox into the search index (EventBridge Scheduler).

Every run makes sure the index has its schema and synonyms, pushes the committed changes
of courses, lessons and questions, and relays lesson re-embeds to the ingest queue (see
``lectern.search.sync``). ``{"reindex": true}`` first queues every object again: a full
re-index is a replay of the outbox. A run stops early, leaving the rest for the next one,
when the index is down or the Lambda's time is nearly up.
"""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup

# isort: split

import time
import warnings
from typing import Any

from lectern.core import snapstart
from lectern.core.outbox import enqueue_everything
from lectern.observability import get_logger, get_metrics
from lectern.search import sync

logger = get_logger()
metrics = get_metrics()
# Under SnapStart: no client kept across the snapshot, random re-seeded on restore.
snapstart.register()
warnings.filterwarnings("ignore", message="No application metrics to publish")

# Time kept back from the Lambda timeout to settle the last batch and flush metrics.
SAFETY_MARGIN_SECONDS = 15.0


def _deadline(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds = remaining() / 1000
    return time.monotonic() + seconds - min(SAFETY_MARGIN_SECONDS, seconds / 4)


@logger.inject_lambda_context
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    lectern.startup.loaded()
    event = event or {}
    if event.get("reindex") is True:
        from lectern.db.engine import get_sessionmaker

        with get_sessionmaker()() as db:
            enqueue_everything(db, embed=event.get("embed") is True)
            db.commit()
    result = sync.run(deadline=_deadline(context))
    # A run that found nothing to do (most runs) logs at debug; its metrics still go out.
    busy = any(result.get(topic, {}).get("claimed") for topic in ("search", "embed"))
    (logger.info if busy else logger.debug)("search_sync finished", extra={"result": result})
    return result

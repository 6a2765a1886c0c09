"""Function `aggregate`: the scheduled rollups and upkeep (EventBridge Scheduler).

The scheduler sends ``{}`` (every task) or ``{"tasks": ["rollups", ...]}``. Each task
records its own outcome in ``job_state``; a failed task does not stop the others, is
counted as the ``AggregateTaskFailed`` metric, and simply runs again next time. See
``lectern.core.upkeep`` for how tasks run, and each context's ``upkeep`` module for
what its tasks do.
"""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup

# isort: split

import warnings
from typing import Any

from lectern.core import snapstart
from lectern.core.upkeep import run_tasks
from lectern.observability import get_logger, get_metrics

logger = get_logger()
metrics = get_metrics()
# Under SnapStart: no client kept across the snapshot, random re-seeded on restore.
snapstart.register()
# A run without failures records no metric; Powertools would warn on each such run.
warnings.filterwarnings("ignore", message="No application metrics to publish")


@logger.inject_lambda_context
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any] | None, _context: Any) -> dict[str, Any]:
    lectern.startup.loaded()
    names = (event or {}).get("tasks")
    if names is not None and (
        not isinstance(names, list) or not all(isinstance(n, str) for n in names)
    ):
        raise ValueError("'tasks' must be a list of task names")
    tasks = run_tasks(names)
    failed = sorted(name for name, outcome in tasks.items() if outcome["status"] == "failed")
    logger.info("aggregate finished", extra={"tasks": tasks})
    return {"status": "failed" if failed else "ok", "failed": failed, "tasks": tasks}

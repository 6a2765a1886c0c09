"""Event ingest through the `analytics` Lambda handler: 500-event batches against the
same events sent one per request.

    .venv/bin/python bench/events_ingest.py [--batches 10] [--batch-size 500]

Starts the embedded stack, migrates, and makes a learner and a published course. Each
request is a real API Gateway (v2) event through ``functions/analytics/app.py``'s
handler: token check, validation, the batch's one course lookup (half the events name
the course), the one multi-row INSERT and the commit. The batched run sends
``--batches`` requests of ``--batch-size`` events; the baseline, in the same run, sends
the same number of events one per request. Events/s is the median over the batches
(for the baseline, over groups of ``--batch-size`` requests); p50 is per request.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def setup() -> tuple[str, uuid.UUID, uuid.UUID]:
    """A learner's session token and id, and a published course's id."""
    from lectern.catalog.models import Course
    from lectern.core.principal import UserRole
    from lectern.db.engine import get_sessionmaker
    from lectern.identity.service import create_account
    from lectern.identity.sessions import create_session

    with get_sessionmaker()() as db:
        author = create_account(
            db, email="author@bench.invalid", name="Author", password=None, role=UserRole.instructor
        )
        learner = create_account(
            db, email="learner@bench.invalid", name="Learner", password=None, role=UserRole.student
        )
        course = Course(owner_id=author.id, title="Bench course", published_at=datetime.now(UTC))
        db.add(course)
        db.commit()
        token = create_session(learner.id, UserRole.student).token
        return token, learner.id, course.id


def events(n: int, course_id: uuid.UUID, start: int) -> list[dict[str, Any]]:
    """``n`` events as a player would send them: progress, half naming the course."""
    now = datetime.now(UTC).isoformat()
    out: list[dict[str, Any]] = []
    for i in range(start, start + n):
        context: dict[str, Any] = {"seconds": i % 600, "video": "intro"}
        if i % 2:
            context["course_id"] = str(course_id)
        out.append({"type": "video_progress", "occurred_at": now, "context": context})
    return out


def run(handler: Handler, token: str, bodies: list[list[dict[str, Any]]]) -> list[float]:
    """Send each body as one request; the milliseconds each took."""
    from local.events import LambdaContext, http_event

    requests = [
        http_event("POST", "/v1/events", body={"events": body}, token=token) for body in bodies
    ]
    times = []
    for request, body in zip(requests, bodies, strict=True):
        t0 = time.perf_counter()
        reply = handler(request, LambdaContext())
        times.append((time.perf_counter() - t0) * 1e3)
        if reply["statusCode"] != 202:
            raise RuntimeError(f"{reply['statusCode']}: {reply.get('body')}")
        if f'"accepted":{len(body)}' not in reply["body"].replace(" ", ""):
            raise RuntimeError(f"not all accepted: {reply.get('body')}")
    return times


def stored(user_id: uuid.UUID) -> int:
    from sqlalchemy import func, select

    from lectern.analytics.models import Event
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        return int(db.scalar(select(func.count()).where(Event.user_id == user_id)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    size, batches = args.batch_size, args.batches
    total = size * batches

    from lectern.db.migrations import upgrade
    from local.stack import LocalStack

    stack = LocalStack(typesense=False)  # this bench does not search
    stack.start()
    os.environ.update(
        {
            **stack.env,
            "LECTERN_ENV": "test",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    try:
        upgrade(stack.env["LECTERN_DATABASE_URL"])
        from local.functions import load_module

        handler: Handler = load_module("analytics").handler
        token, user_id, course_id = setup()
        # Powertools prints its EMF blob every 100 metric values even with metrics
        # disabled: kept off the table.
        with contextlib.redirect_stdout(io.StringIO()):
            # The cold start and first connections, excluded as for a warm container.
            run(handler, token, [events(size, course_id, 0), events(1, course_id, 0)])
            warm = size + 1
            bodies = [events(size, course_id, b * size) for b in range(batches)]
            batched = run(handler, token, bodies)
            single = run(handler, token, [events(1, course_id, i) for i in range(total)])
        if stored(user_id) != warm + 2 * total:
            raise RuntimeError("the stored events do not add up")
    finally:
        stack.stop()

    groups = [single[g * size : (g + 1) * size] for g in range(batches)]
    batched_rate = statistics.median(size * 1e3 / t for t in batched)
    single_rate = statistics.median(size * 1e3 / sum(g) for g in groups)
    rows = [
        (f"{size} per request", len(batched), batched_rate, statistics.median(batched)),
        ("1 per request", len(single), single_rate, statistics.median(single)),
    ]
    print(f"\n{total:,} events each way through the analytics Lambda handler")
    print(f"{'method':16} {'requests':>9} {'events/s':>10} {'p50 ms/request':>15}")
    for name, requests, rate, p50 in rows:
        print(f"{name:16} {requests:9,} {rate:10,.0f} {p50:15.2f}")
    print(f"ratio (batched / one per request, events/s): {batched_rate / single_rate:.1f}x")


if __name__ == "__main__":
    main()

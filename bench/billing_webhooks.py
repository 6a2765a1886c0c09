"""Polar webhook deliveries per second through the billing function's Lambda handler,
beside an unsigned no-op route behind the same handler stack, same run.

    .venv/bin/python bench/billing_webhooks.py [--deliveries 300] [--rounds 5]

Each round posts ``--deliveries`` distinct signed ``subscription.updated`` events (100
subscriptions of 100 accounts, each event newer than the last) as API Gateway v2 events
through ``functions/billing/app.py``'s ``handler``: the Standard Webhooks check, the
``webhook-id`` row, the upsert guarded by the event's timestamp, one commit each. The
baseline is a POST route that returns at once, mounted with ``create_app`` and
``lambda_handler`` as every function is, fed the same events (no signature check, no
database). Prints the median deliveries per second of the rounds and the ratio
baseline / webhook (how many no-op requests one delivery costs); then replays one round
(every ``webhook-id`` seen) for the duplicate path.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

SUBSCRIPTIONS = 100


def _accounts() -> list[uuid.UUID]:
    from sqlalchemy import text

    from bench.harness import bulk_engine

    ids = [uuid.uuid4() for _ in range(SUBSCRIPTIONS)]
    with bulk_engine().begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email) SELECT u, u || '@bench.invalid' FROM unnest(CAST(:ids AS uuid[])) u"
            ),
            {"ids": [str(i) for i in ids]},
        )
        conn.execute(
            text(
                "INSERT INTO profiles (user_id, display_name) SELECT u, 'Bench' FROM unnest(CAST(:ids AS uuid[])) u"
            ),
            {"ids": [str(i) for i in ids]},
        )
    return ids


def _events(users: list[uuid.UUID], n: int, start: datetime) -> list[dict[str, Any]]:
    from local.billing import signed, subscription_event
    from local.events import http_event

    events = []
    for i in range(n):
        user = users[i % len(users)]
        payload = subscription_event(
            "subscription.updated",
            subscription_id=f"sub_bench_{user}",
            user_id=user,
            at=start + timedelta(milliseconds=i),
        )
        body, headers = signed(payload)
        events.append(
            http_event(
                "POST", "/v1/billing/webhooks/polar", raw_body=body.decode(), headers=headers
            )
        )
    return events


def _rate(handler: Any, events: list[dict[str, Any]], expect: int) -> float:
    from local.events import LambdaContext

    started = time.perf_counter()
    for event in events:
        status = handler(event, LambdaContext())["statusCode"]
        if status != expect:
            raise SystemExit(f"unexpected status {status}")
    return len(events) / (time.perf_counter() - started)


def _applied() -> int:
    from sqlalchemy import text

    from bench.harness import bulk_engine

    with bulk_engine().connect() as conn:
        return int(
            conn.scalar(text("SELECT count(*) FROM billing_webhook_deliveries WHERE applied")) or 0
        )


def _noop_handler() -> Any:
    from fastapi import APIRouter, status

    from lectern.api.app import create_app, lambda_handler

    router = APIRouter(prefix="/v1")

    @router.post("/billing/webhooks/polar", status_code=status.HTTP_202_ACCEPTED)
    def noop() -> dict[str, bool]:
        return {"received": True}

    return lambda_handler(create_app(router, title="no-op"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from bench.harness import embedded_stack

    with embedded_stack(POWERTOOLS_METRICS_DISABLED="true"):
        from local.functions import load_module

        handler = load_module("billing").handler
        noop = _noop_handler()
        users = _accounts()
        start = datetime.now(UTC)
        rounds = [
            _events(users, args.deliveries, start + timedelta(seconds=r))
            for r in range(args.rounds)
        ]
        # Warm both (imports, the first connection, the verifier) outside the timing.
        warm = _events(users, 5, start - timedelta(minutes=1))
        _rate(handler, warm, 202)
        _rate(noop, warm, 202)
        ours, baseline = [], []
        # The handler's EMF metrics go to stdout, as in Lambda; kept out of the report.
        with contextlib.redirect_stdout(io.StringIO()):
            for events in rounds:
                baseline.append(_rate(noop, events, 202))
                ours.append(_rate(handler, events, 202))
            replay = _rate(handler, rounds[-1], 202)
        applied = _applied()
    webhook, noop_rate = statistics.median(ours), statistics.median(baseline)
    print(f"{args.rounds} rounds of {args.deliveries} deliveries ({SUBSCRIPTIONS} subscriptions)")
    print(f"  webhook handler (verified, recorded, applied): {webhook:8.0f} deliveries/s (median)")
    print(f"  no-op route, same handler stack:              {noop_rate:8.0f} requests/s (median)")
    print(f"  replayed round (every webhook-id seen):       {replay:8.0f} deliveries/s")
    print(f"  deliveries applied: {applied:,} (every timed one, and the 5 warm-ups)")
    print(f"ratio = no-op / webhook = {noop_rate / webhook:.1f}x")


if __name__ == "__main__":
    main()

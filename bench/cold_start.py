"""Cold start per function beside one app holding every route (the monolith baseline).

Each run is a fresh interpreter that imports one function's module (as Lambda's init
phase does) and answers its first API Gateway event; the monolith runs answer the same
event from an app that mounts every router. The embedded stack is started once, so the
first invocation includes real connections to Postgres, the KV store and moto.

    .venv/bin/python bench/cold_start.py [--runs 7]

Prints, per function, the median import, first-invocation and total milliseconds, peak
RSS, and total's ratio to the monolith answering the same request (< 1 is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

CHILD = r"""
import json, sys, time
sys.path[:0] = [{shared!r}, {root!r}]
def peak_rss_mb():
    # VmHWM is this process's own peak; ru_maxrss would carry the forking parent's
    # peak across exec on Linux.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
t0 = time.perf_counter()
from local.functions import http_function_names, load_module
target = {target!r}
if target == "monolith":
    from lectern.api.app import create_app, lambda_handler
    routers = [load_module(n).router for n in http_function_names()]
    handler = lambda_handler(create_app(*routers))
else:
    handler = load_module(target).handler
t1 = time.perf_counter()
from local.events import LambdaContext, http_event
reply = handler(http_event(**{event!r}), LambdaContext())
t2 = time.perf_counter()
heavy = sorted(m for m in ("boto3", "botocore.session", "email_validator", "redis", "moto", "uvicorn", "pypdf", "httpx") if m in sys.modules)
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "invoke_ms": (t2 - t1) * 1e3,
    "status": reply["statusCode"], "rss_mb": peak_rss_mb(),
    "heavy": heavy}}))
"""


def requests_for(token: str) -> dict[str, dict[str, Any]]:
    """A representative first request per function, with the status it must get."""
    return {
        "auth": {
            "event": {
                "method": "POST",
                "path": "/v1/auth/login",
                "body": {"email": "nobody@example.com", "password": "not the password"},
            },
            "status": 401,
        },
        "users": {"event": {"method": "GET", "path": "/v1/me", "token": token}, "status": 200},
        "health": {"event": {"method": "GET", "path": "/v1/health"}, "status": 200},
        "courses": {
            "event": {"method": "GET", "path": "/v1/courses", "token": token},
            "status": 200,
        },
        "progress": {
            "event": {"method": "GET", "path": "/v1/me/stats", "token": token},
            "status": 200,
        },
        "assessments": {
            "event": {"method": "GET", "path": "/v1/me/performance", "token": token},
            "status": 200,
        },
        "analytics": {
            "event": {
                "method": "POST",
                "path": "/v1/events",
                "token": token,
                "body": {
                    "events": [
                        {"type": "lesson_viewed", "occurred_at": datetime.now(UTC).isoformat()}
                    ]
                },
            },
            "status": 202,
        },
        "sharing": {
            "event": {"method": "GET", "path": "/v1/me/shares", "token": token},
            "status": 200,
        },
        "documents": {
            "event": {"method": "GET", "path": "/v1/me/documents", "token": token},
            "status": 200,
        },
        # Embeds the query (the local embedder here) and walks the model's HNSW index.
        "ai": {
            "event": {
                "method": "POST",
                "path": "/v1/search/semantic",
                "token": token,
                "body": {"query": "how do cells divide"},
            },
            "status": 200,
        },
        "search": {
            "event": {"method": "GET", "path": "/v1/search", "query": "q=cells", "token": token},
            "status": 200,
        },
    }


def run_child(target: str, event: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    code = CHILD.format(shared=str(ROOT / "shared"), root=str(ROOT), target=target, event=event)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(
    target: str, event: dict[str, Any], expected: int, env: dict[str, str], runs: int
) -> dict[str, Any]:
    samples = [run_child(target, event, env) for _ in range(runs)]
    statuses = {s["status"] for s in samples}
    if statuses != {expected}:
        raise SystemExit(f"{target}: expected HTTP {expected}, got {statuses}")
    med = {
        k: statistics.median(s[k] for s in samples) for k in ("import_ms", "invoke_ms", "rss_mb")
    }
    med["total_ms"] = statistics.median(s["import_ms"] + s["invoke_ms"] for s in samples)
    med["heavy"] = samples[-1]["heavy"]
    return med


def start_stack() -> tuple[Any, dict[str, str], str]:
    from lectern.db.migrations import upgrade
    from local.stack import LocalStack

    stack = LocalStack(typesense=False)  # this bench does not search
    stack.start()
    env = {
        **os.environ,
        **stack.env,
        "LECTERN_ENV": "test",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_NAMESPACE": "LecternBench",
        # every run signs in as the same unknown account; do not throttle the bench
        "LECTERN_LOGIN_ATTEMPTS_PER_ACCOUNT": "1000000",
    }
    os.environ.update(env)
    upgrade(stack.env["LECTERN_DATABASE_URL"])
    from lectern.db.engine import get_sessionmaker
    from lectern.identity.schemas import RegisterIn
    from lectern.identity.service import register

    with get_sessionmaker()() as db:
        token = register(
            db, RegisterIn(email="bench@example.com", password="bench password", name="Bench")
        ).session.token
    return stack, env, token


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    stack, env, token = start_stack()
    try:
        rows = []
        for name, spec in requests_for(token).items():
            fn = measure(name, spec["event"], spec["status"], env, args.runs)
            mono = measure("monolith", spec["event"], spec["status"], env, args.runs)
            rows.append((name, fn, mono))
    finally:
        stack.stop()
    print(f"cold start, median of {args.runs} fresh interpreters (ms; RSS in MiB)")
    header = f"{'function':12} {'import':>8} {'invoke':>8} {'total':>8} {'rss':>6} | {'monolith':>8} {'ratio':>6}  heavy modules loaded"
    print(header)
    print("-" * len(header))
    for name, fn, mono in rows:
        ratio = fn["total_ms"] / mono["total_ms"]
        print(
            f"{name:12} {fn['import_ms']:8.1f} {fn['invoke_ms']:8.1f} {fn['total_ms']:8.1f} "
            f"{fn['rss_mb']:6.1f} | {mono['total_ms']:8.1f} {ratio:6.2f}  {','.join(fn['heavy']) or '-'}"
        )
    print(
        "monolith: one app with every router, answering the same request; its modules: "
        + (",".join(rows[0][2]["heavy"]) or "-")
    )


if __name__ == "__main__":
    main()

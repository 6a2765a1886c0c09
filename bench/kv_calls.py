"""Upstash HTTP round trips per account operation, counted at the emulator.

    .venv/bin/python bench/kv_calls.py

Each operation runs through its function's real Lambda handler against the embedded
stack; the figure is the number of HTTP requests the Upstash client made (a pipeline
is one). The baseline is a bare GET through the same client.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]


def main() -> None:
    from lectern.db.migrations import upgrade
    from local.events import LambdaContext, http_event
    from local.functions import load_module
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
        emulator = stack.emulator
        assert emulator is not None

        def call(function: str, method: str, path: str, **kw: Any) -> dict[str, Any]:
            reply = load_module(function).handler(http_event(method, path, **kw), LambdaContext())
            return reply

        def counted(op: Callable[[], Any]) -> tuple[int, Any]:
            before = emulator.request_count
            result = op()
            return emulator.request_count - before, result

        import json

        from lectern.kv.factory import get_kv

        creds = {"email": "kv-bench@example.com", "password": "kv bench password"}
        rows: list[tuple[str, int]] = []
        rows.append(("baseline: one GET", counted(lambda: get_kv().get("x"))[0]))
        n, reply = counted(
            lambda: call("auth", "POST", "/v1/auth/register", body={**creds, "name": "K"})
        )
        rows.append(("register", n))
        n, reply = counted(lambda: call("auth", "POST", "/v1/auth/login", body=creds))
        rows.append(("login", n))
        token = json.loads(reply["body"])["session"]["token"]
        rows.append(
            (
                "GET /v1/me (authenticated)",
                counted(lambda: call("users", "GET", "/v1/me", token=token))[0],
            )
        )
        rows.append(
            (
                "magic-link request",
                counted(
                    lambda: call(
                        "auth", "POST", "/v1/auth/magic-link", body={"email": creds["email"]}
                    )
                )[0],
            )
        )
        link = stack.sent_mail(creds["email"])[0].text.split("token=", 1)[1].split()[0]
        rows.append(
            (
                "magic-link verify",
                counted(
                    lambda: call("auth", "POST", "/v1/auth/magic-link/verify", body={"token": link})
                )[0],
            )
        )
        rows.append(
            ("logout", counted(lambda: call("auth", "POST", "/v1/auth/logout", token=token))[0])
        )
    finally:
        stack.stop()
    base = rows[0][1]
    print(f"{'operation':32} {'KV calls':>8} {'ratio':>6}")
    for name, calls in rows:
        print(f"{name:32} {calls:8d} {calls / base:6.1f}")


if __name__ == "__main__":
    main()

"""Dependency checks for GET /v1/health, run side by side so one slow check doesn't add up."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import text

from lectern.config import get_settings
from lectern.db.engine import get_engine
from lectern.kv.factory import get_kv
from lectern.observability import get_logger


def check_database() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def check_kv() -> None:
    if get_kv().ping() != "PONG":
        raise RuntimeError("unexpected PING answer")


def check_storage() -> None:
    from lectern.storage.factory import get_storage

    get_storage().check()


def check_search() -> None:
    from lectern.search.factory import check_search as check_index

    check_index()


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "kv": check_kv,
    "storage": check_storage,
}


def _checks() -> dict[str, Callable[[], None]]:
    # The Postgres full-text adapter is up when the database is; Typesense is its own.
    if get_settings().search.backend == "typesense":
        return {**CHECKS, "search": check_search}
    return CHECKS


def _run(name: str, check: Callable[[], None]) -> str:
    try:
        check()
    except Exception as exc:
        get_logger().warning("health check failed", check=name, error=type(exc).__name__)
        return "down"
    return "ok"


def run_checks() -> dict[str, Any]:
    checks_to_run = _checks()
    with ThreadPoolExecutor(max_workers=len(checks_to_run)) as pool:
        futures = {name: pool.submit(_run, name, check) for name, check in checks_to_run.items()}
        checks = {name: future.result() for name, future in futures.items()}
    if "search" not in checks:
        checks["search"] = checks["database"]
    failed = sorted(name for name, state in checks.items() if state != "ok")
    report: dict[str, Any] = {
        "status": "ok" if not failed else "unavailable",
        "checks": checks,
        # Which full-text index answers GET /v1/search.
        "search_backend": get_settings().search.backend,
    }
    if failed:
        report["failed"] = failed
    return report

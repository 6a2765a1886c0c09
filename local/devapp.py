"""The all-routes local app: every function's router in one FastAPI app, plus /_local.

A development tool only; never deployed (each function is its own Lambda in AWS).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Query

from lectern.api.app import create_app
from lectern.errors import DependencyUnavailable
from local.functions import http_function_names, load_module
from local.stack import LocalStack


def all_routers() -> list[APIRouter]:
    return [load_module(name).router for name in http_function_names()]


def local_router(stack: LocalStack) -> APIRouter:
    router = APIRouter(prefix="/_local", tags=["local stack"])

    @router.get("/mail")
    def sent_mail(to: str | None = Query(default=None)) -> list[dict[str, Any]]:
        return [
            {
                "to": m.to,
                "subject": m.subject,
                "text": m.text,
                "sent_at": m.sent_at.isoformat(),
                "headers": m.headers,
            }
            for m in stack.sent_mail(to)
        ]

    @router.post("/aggregate")
    def aggregate_now() -> dict[str, Any]:
        """Run the scheduled aggregate function now, as EventBridge Scheduler would."""
        from local.scheduler import run_aggregate

        return run_aggregate()

    @router.post("/backup", status_code=201)
    def backup_now() -> dict[str, Any]:
        """Export every table to the bucket now, as the daily schedule does."""
        from lectern.core.upkeep import run_tasks

        outcome = run_tasks(["backup"], schedule="backup")["backup"]
        if outcome["status"] != "ok":
            raise DependencyUnavailable("backup", str(outcome.get("error", outcome["status"])))
        return dict(outcome["details"])

    @router.post("/backup/verify")
    def verify_backup_now() -> dict[str, Any]:
        """Restore the newest backup into a scratch database and compare it."""
        from lectern.core.upkeep import run_tasks

        outcome = run_tasks(["backup_verify"], schedule="backup")["backup_verify"]
        if outcome["status"] != "ok":
            raise DependencyUnavailable("backup", str(outcome.get("error", outcome["status"])))
        return dict(outcome["details"])

    @router.post("/search-sync")
    def search_sync_now() -> dict[str, Any]:
        """Drain the search outbox now (the index and lesson re-embeds), as the schedule does."""
        from local.scheduler import run_search_sync

        return run_search_sync()

    @router.post("/outbox-relay")
    def outbox_relay_now() -> dict[str, Any]:
        """Deliver the outbox's relayed work now (notification mail), as the schedule does."""
        from local.scheduler import run_outbox_relay

        return run_outbox_relay()

    return router


def create_dev_app(stack: LocalStack) -> FastAPI:
    from local.billing import accounts_router

    return create_app(
        *all_routers(),
        local_router(stack),
        accounts_router(),
        title="Lectern (local, all routes)",
    )

"""Function `health`: is every dependency answering? 503 naming the one that is not."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from lectern.api.app import create_app, lambda_handler
from lectern.api.responses import problems
from lectern.health import run_checks

router = APIRouter(prefix="/v1", tags=["health"], responses=problems(422, 503))


@router.get("/health", responses={503: {"description": "A dependency is down"}})
def health() -> JSONResponse:
    report = run_checks()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)


app = create_app(router, title="Lectern health")
handler = lambda_handler(app)

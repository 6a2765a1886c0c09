"""Function `analytics`: clients' event batches in, daily rollups out."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from lectern.analytics import service
from lectern.analytics.schemas import DailyReportOut, EventBatchIn, EventsAcceptedOut
from lectern.analytics.throttle import check_event_batches
from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import AuthorPrincipal, CurrentPrincipal, DbSession
from lectern.api.params import DateParam
from lectern.api.responses import problems

router = APIRouter(prefix="/v1", tags=["analytics"], responses=problems(401, 422, 503))


@router.post("/events", status_code=status.HTTP_202_ACCEPTED, responses=problems(429))
def post_events(
    body: EventBatchIn, principal: CurrentPrincipal, db: DbSession
) -> EventsAcceptedOut:
    """Up to 500 events of the caller's, written together or not at all."""
    check_event_batches(str(principal.user_id))
    return service.record_client_events(db, principal, body)


@router.get("/analytics/daily", responses=problems(403, 404))
def daily(
    principal: AuthorPrincipal,
    db: DbSession,
    first: Annotated[DateParam | None, Query(alias="from")] = None,
    last: Annotated[DateParam | None, Query(alias="to")] = None,
    course_id: uuid.UUID | None = None,
) -> DailyReportOut:
    """Days ``from`` to ``to`` (UTC, both included; by default the last 30 days)."""
    return service.daily_report(db, principal, first=first, last=last, course_id=course_id)


app = create_app(router, title="Lectern analytics")
handler = lambda_handler(app)

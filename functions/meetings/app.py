"""Function `meetings`: live-session requests from a course's learners to its owner, the
owner's decision, the learner's cancellation, and the accepted event as .ics."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.core.pagination import DEFAULT_PAGE_SIZE
from lectern.meetings import service
from lectern.meetings.schemas import (
    MeetingPage,
    MeetingRequestIn,
    MeetingRequestOut,
    MeetingUpdateIn,
)

router = APIRouter(prefix="/v1", tags=["live sessions"], responses=problems(401, 422, 503))

Responses = dict[int | str, dict[str, Any]]
_NOT_FOUND: Responses = {404: {"description": "No such request, or not the caller's to see."}}


@router.post(
    "/courses/{id}/meeting-requests",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "The caller is not a learner enrolled in the course."},
        404: {"description": "No such course, or hidden from the caller."},
        409: {"description": "Too many of the caller's requests wait for an answer."},
    },
)
def create_request(
    id: uuid.UUID, body: MeetingRequestIn, principal: CurrentPrincipal, db: DbSession
) -> MeetingRequestOut:
    """Ask the course's owner for a live session at one of 1 to 5 preferred times."""
    return service.create_request(db, principal, id, body)


@router.get(
    "/courses/{id}/meeting-requests",
    responses={**problems(404), 403: {"description": "Only the course's owner or an admin."}},
)
def list_course_requests(
    id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> MeetingPage:
    return service.list_for_course(db, principal, id, limit=limit, cursor=cursor)


@router.get("/me/meeting-requests")
def list_my_requests(
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> MeetingPage:
    """The caller's own requests, newest first."""
    return service.list_mine(db, principal, limit=limit, cursor=cursor)


@router.patch(
    "/meeting-requests/{id}",
    responses={
        **_NOT_FOUND,
        403: {"description": "The owner accepts or declines; the requester cancels."},
        409: {"description": "The request is declined or cancelled: final."},
    },
)
def update_request(
    id: uuid.UUID, body: MeetingUpdateIn, principal: CurrentPrincipal, db: DbSession
) -> MeetingRequestOut:
    return service.update_request(db, principal, id, body)


@router.get(
    "/meeting-requests/{id}/calendar.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "An RFC 5545 VEVENT."},
        **_NOT_FOUND,
        409: {"description": "The request was never accepted."},
    },
)
def calendar(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    """The accepted session as an iCalendar event (cancelled once declined or cancelled)."""
    return Response(
        content=service.calendar_file(db, principal, id),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="live-session.ics"'},
    )


app = create_app(router, title="Lectern live sessions")
handler = lambda_handler(app)

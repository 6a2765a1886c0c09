"""Live-session requests: a learner enrolled in a course asks its owner, who accepts (a
time and a link; again, to move it) or declines; the learner may cancel. Declined and
cancelled are final: any change after them is a 409. Each change notifies the other side
in its own transaction (``meeting_request``, ``meeting_update``).

Who: the requester sees and cancels their own; the course's owner (with the instructor
role) and admins see the course's and decide. Anyone else is told nothing exists (404).
A change locks its row, so of a concurrent accept and cancel one wins and the other
finds the state it left.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lectern.catalog import access as catalog
from lectern.catalog.models import Course
from lectern.config import get_settings
from lectern.core.ids import uuid7
from lectern.core.pagination import keyset_rows
from lectern.core.principal import Principal
from lectern.errors import Conflict, Forbidden, InvalidField, NotFound
from lectern.identity.models import Profile
from lectern.meetings import calendar
from lectern.meetings.models import FINAL, MeetingRequest, MeetingStatus
from lectern.meetings.schemas import (
    MeetingPage,
    MeetingRequestIn,
    MeetingRequestOut,
    MeetingUpdateIn,
    RequesterOut,
)
from lectern.notifications.service import notify
from lectern.progress.models import Enrollment

REQUEST_NOT_FOUND = "No such meeting request."
ENROLLED_ONLY = "Only a learner enrolled in the course may ask its owner for a live session."
DECIDERS_ONLY = "Only the course's owner or an admin accepts or declines."
REQUESTER_ONLY = "Only the learner who asked cancels."
NOT_ACCEPTED = "The request has no calendar event: it was never accepted."
# Pending requests a learner may have per course at a time: asking is free, answering not.
MAX_PENDING = 3


def _link(request: MeetingRequest) -> str:
    return f"/courses/{request.course_id}/meeting-requests/{request.id}"


def _has_calendar(request: MeetingRequest) -> bool:
    return request.accepted_at is not None


def _out(request: MeetingRequest, requester_name: str) -> MeetingRequestOut:
    return MeetingRequestOut(
        id=request.id,
        course_id=request.course_id,
        requester=RequesterOut(id=request.requester_id, name=requester_name),
        topic=request.topic,
        message=request.message,
        preferred_times=list(request.preferred_times),
        status=request.status,
        scheduled_at=request.scheduled_at,
        duration_minutes=request.duration_minutes,
        meeting_url=request.meeting_url,
        sequence=request.sequence,
        calendar_url=f"/v1/meeting-requests/{request.id}/calendar.ics"
        if _has_calendar(request)
        else None,
        created_at=request.created_at,
        updated_at=request.updated_at,
    )


def _name(db: Session, user_id: uuid.UUID) -> str:
    return db.scalar(select(Profile.display_name).where(Profile.user_id == user_id)) or ""


def create_request(
    db: Session, principal: Principal, course_id: uuid.UUID, data: MeetingRequestIn
) -> MeetingRequestOut:
    course = catalog.course_for_view(db, principal, course_id)
    # Locked: a learner's concurrent requests count each other.
    enrolled = db.scalar(
        select(Enrollment.user_id)
        .where(Enrollment.user_id == principal.user_id, Enrollment.course_id == course.id)
        .with_for_update()
    )
    if enrolled is None or course.owner_id == principal.user_id:
        raise Forbidden(ENROLLED_ONLY)
    pending = db.scalar(
        select(func.count())
        .select_from(MeetingRequest)
        .where(
            MeetingRequest.course_id == course.id,
            MeetingRequest.requester_id == principal.user_id,
            MeetingRequest.status == MeetingStatus.pending,
        )
    )
    if (pending or 0) >= MAX_PENDING:
        db.rollback()
        raise Conflict(f"You have {MAX_PENDING} requests waiting for an answer in this course.")
    request = MeetingRequest(
        id=uuid7(),
        course_id=course.id,
        requester_id=principal.user_id,
        topic=data.topic,
        message=data.message,
        preferred_times=data.preferred_times,
    )
    db.add(request)
    db.flush()
    notify(
        db,
        [course.owner_id],
        "meeting_request",
        title=f"Live session requested: {data.topic}",
        body=f"In {course.title}. Preferred times: "
        + ", ".join(t.strftime("%Y-%m-%d %H:%M UTC") for t in data.preferred_times),
        link=_link(request),
    )
    db.commit()
    db.refresh(request)
    return _out(request, _name(db, principal.user_id))


def _page(db: Session, *where: object, limit: int, cursor: str | None) -> MeetingPage:
    stmt = (
        select(MeetingRequest, Profile.display_name)
        .join(Profile, Profile.user_id == MeetingRequest.requester_id)
        .where(*where)  # type: ignore[arg-type]
    )
    rows, next_cursor = keyset_rows(
        db, stmt, MeetingRequest.created_at, MeetingRequest.id, limit=limit, cursor=cursor
    )
    return MeetingPage(items=[_out(r, name) for r, name in rows], next_cursor=next_cursor)


def list_for_course(
    db: Session, principal: Principal, course_id: uuid.UUID, *, limit: int, cursor: str | None
) -> MeetingPage:
    course = catalog.course_for_view(db, principal, course_id)
    if not catalog.can_edit(course, principal):
        raise Forbidden("Only the course's owner or an admin sees its meeting requests.")
    return _page(db, MeetingRequest.course_id == course.id, limit=limit, cursor=cursor)


def list_mine(db: Session, principal: Principal, *, limit: int, cursor: str | None) -> MeetingPage:
    return _page(db, MeetingRequest.requester_id == principal.user_id, limit=limit, cursor=cursor)


def _visible(
    db: Session, principal: Principal, request_id: uuid.UUID, *, lock: bool = False
) -> tuple[MeetingRequest, Course, bool]:
    """The request, its course, and whether the caller decides (owner, admin); a 404 to
    anyone but them and the requester."""
    request = db.get(MeetingRequest, request_id, with_for_update=lock, populate_existing=lock)
    course = db.get(Course, request.course_id) if request is not None else None
    if request is None or course is None:
        raise NotFound(REQUEST_NOT_FOUND)
    decides = catalog.can_edit(course, principal)
    if not decides and request.requester_id != principal.user_id:
        raise NotFound(REQUEST_NOT_FOUND)
    return request, course, decides


def _accept(request: MeetingRequest, data: MeetingUpdateIn) -> bool:
    """Accept, or move an accepted session; whether anything changed."""
    scheduled_at = data.scheduled_at or request.scheduled_at
    meeting_url = str(data.meeting_url) if data.meeting_url else request.meeting_url
    if scheduled_at is None:
        raise InvalidField("scheduled_at", "required to accept")
    if meeting_url is None:
        raise InvalidField("meeting_url", "required to accept")
    duration = data.duration_minutes or request.duration_minutes
    changed = request.status != MeetingStatus.accepted or (scheduled_at, meeting_url, duration) != (
        request.scheduled_at,
        request.meeting_url,
        request.duration_minutes,
    )
    if request.status == MeetingStatus.accepted and changed:
        request.sequence += 1
    if request.accepted_at is None:
        request.accepted_at = func.now()
    request.status = MeetingStatus.accepted
    request.scheduled_at, request.meeting_url, request.duration_minutes = (
        scheduled_at,
        meeting_url,
        duration,
    )
    return changed


def update_request(
    db: Session, principal: Principal, request_id: uuid.UUID, data: MeetingUpdateIn
) -> MeetingRequestOut:
    request, course, decides = _visible(db, principal, request_id, lock=True)
    if request.status in FINAL:
        raise Conflict(f"The request is {request.status.value}: that is final.")
    wanted = MeetingStatus(data.status)
    is_requester = request.requester_id == principal.user_id
    if wanted == MeetingStatus.cancelled and not is_requester:
        raise Forbidden(REQUESTER_ONLY)
    if wanted != MeetingStatus.cancelled and not decides:
        raise Forbidden(DECIDERS_ONLY)
    if wanted == MeetingStatus.accepted:
        changed = _accept(request, data)
    else:
        if data.scheduled_at or data.meeting_url or data.duration_minutes:
            field = next(
                f for f in ("scheduled_at", "meeting_url", "duration_minutes") if getattr(data, f)
            )
            raise InvalidField(field, "only for accepting")
        changed = True
        if request.accepted_at is not None:
            request.sequence += 1  # the calendar event is cancelled
        request.status = wanted
    if changed:
        # Whoever acted, the other side hears of it.
        to = course.owner_id if is_requester else request.requester_id
        when = (
            f" on {request.scheduled_at:%Y-%m-%d %H:%M} UTC"
            if wanted == MeetingStatus.accepted and request.scheduled_at
            else ""
        )
        notify(
            db,
            [to],
            "meeting_update",
            title=f"Live session {wanted.value}: {request.topic}{when}",
            body=f"In {course.title}.",
            link=_link(request),
        )
    db.commit()
    db.refresh(request)
    return _out(request, _name(db, request.requester_id))


def calendar_file(db: Session, principal: Principal, request_id: uuid.UUID) -> bytes:
    request, course, _decides = _visible(db, principal, request_id)
    if not _has_calendar(request):
        raise Conflict(NOT_ACCEPTED)
    page = get_settings().notifications.app_url.rstrip("/") + _link(request)
    return calendar.ics(request, course.title, page)

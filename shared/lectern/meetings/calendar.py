"""An accepted request as an iCalendar event (RFC 5545), built with ``icalendar``.

The UID is the request's id (stable: a calendar that imported it updates the same event)
and SEQUENCE the request's, bumped by every change after acceptance; a request declined
or cancelled after it was accepted is the same event with ``STATUS:CANCELLED``.
"""

from __future__ import annotations

from datetime import timedelta

from lectern.meetings.models import MeetingRequest, MeetingStatus

PRODID = "-//Lectern//Live sessions//EN"
UID_DOMAIN = "lectern"


def uid(request: MeetingRequest) -> str:
    return f"meeting-{request.id}@{UID_DOMAIN}"


def ics(request: MeetingRequest, course_title: str, page_url: str | None) -> bytes:
    from icalendar import Calendar, Event

    if request.scheduled_at is None:
        raise ValueError("only a request that was accepted has an event")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid(request))
    event.add("sequence", request.sequence)
    event.add("dtstamp", request.updated_at)
    event.add("dtstart", request.scheduled_at)
    event.add("dtend", request.scheduled_at + timedelta(minutes=request.duration_minutes))
    event.add("summary", f"{request.topic} ({course_title})")
    description = [request.message] if request.message else []
    if request.meeting_url:
        event.add("location", request.meeting_url)
        event.add("url", request.meeting_url)
        description.append(f"Join: {request.meeting_url}")
    if page_url:
        description.append(page_url)
    if description:
        event.add("description", "\n\n".join(description))
    accepted = request.status == MeetingStatus.accepted
    event.add("status", "CONFIRMED" if accepted else "CANCELLED")
    calendar.add_component(event)
    result: bytes = calendar.to_ical()
    return result

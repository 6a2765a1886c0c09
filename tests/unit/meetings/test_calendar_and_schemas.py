"""The .ics of a live session (RFC 5545, read back with icalendar), and what a request
and a decision may hold."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from lectern.meetings.calendar import ics
from lectern.meetings.models import MeetingRequest, MeetingStatus
from lectern.meetings.schemas import MeetingRequestIn, MeetingUpdateIn

SOON = datetime.now(UTC) + timedelta(days=2)


def _request(**overrides):
    values = {
        "id": uuid.uuid4(),
        "course_id": uuid.uuid4(),
        "requester_id": uuid.uuid4(),
        "topic": "Mitosis, again; slowly",
        "message": "I am stuck on anaphase.",
        "preferred_times": [SOON],
        "status": MeetingStatus.accepted,
        "scheduled_at": SOON.replace(microsecond=0),
        "duration_minutes": 45,
        "meeting_url": "https://meet.example/abc",
        "sequence": 2,
        "updated_at": datetime.now(UTC),
    }
    values.update(overrides)
    return MeetingRequest(**values)


def _event(raw: bytes):
    from icalendar import Calendar

    [event] = Calendar.from_ical(raw).walk("VEVENT")
    return event


def test_an_accepted_request_is_one_confirmed_event_with_a_stable_uid():
    request = _request()
    raw = ics(request, "Biology", "https://app.example/x")
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and b"VERSION:2.0" in raw
    event = _event(raw)
    assert str(event["UID"]) == f"meeting-{request.id}@lectern"
    assert int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == request.scheduled_at
    assert event.decoded("DTEND") == request.scheduled_at + timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Mitosis, again; slowly (Biology)"
    assert str(event["LOCATION"]) == "https://meet.example/abc"
    assert "anaphase" in str(event["DESCRIPTION"])
    assert _event(ics(request, "Biology", None))["UID"] == event["UID"]


def test_a_cancelled_session_is_the_same_event_cancelled():
    request = _request(status=MeetingStatus.cancelled, sequence=3)
    event = _event(ics(request, "Biology", None))
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 3)


@pytest.mark.parametrize(
    "times",
    [
        [],
        [SOON + timedelta(hours=i) for i in range(6)],
        [datetime.now(UTC) - timedelta(minutes=1)],
        [SOON.replace(tzinfo=None)],
        [SOON, SOON],
    ],
)
def test_preferred_times_are_one_to_five_distinct_future_times_with_a_zone(times):
    with pytest.raises(ValidationError) as refused:
        MeetingRequestIn(topic="t", preferred_times=times)
    assert refused.value.errors()[0]["loc"][0] == "preferred_times"


def test_preferred_times_are_kept_in_utc_in_order():
    later, sooner = SOON + timedelta(hours=3), SOON.astimezone(datetime.now().astimezone().tzinfo)
    body = MeetingRequestIn(topic=" t ", preferred_times=[later, sooner])
    assert body.preferred_times == [SOON, later] and body.topic == "t"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"status": "accepted", "meeting_url": "javascript:alert(1)"}, "meeting_url"),
        ({"status": "accepted", "meeting_url": "ftp://files.example/x"}, "meeting_url"),
        ({"status": "accepted", "scheduled_at": "2001-01-01T00:00:00Z"}, "scheduled_at"),
        ({"status": "accepted", "duration_minutes": 1}, "duration_minutes"),
        ({"status": "declined", "sequence": 9}, "sequence"),
    ],
)
def test_a_decision_refuses_what_it_may_not_hold(body, field):
    with pytest.raises(ValidationError) as refused:
        MeetingUpdateIn.model_validate(body)
    assert refused.value.errors()[0]["loc"][0] == field

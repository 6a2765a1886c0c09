"""Live-session requests: who asks and who decides, final states, notifications to the
other side, the calendar event's UID and SEQUENCE, and a race of accept and cancel."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lectern.errors import Conflict, Forbidden, InvalidField, NotFound
from tests.factories import make_account, make_course

SOON = datetime.now(UTC) + timedelta(days=3)


@pytest.fixture
def course(db):
    from lectern.progress.service import enroll

    owner = make_account(db, "instructor", "Prof")
    course, _ = make_course(db, owner, lessons=1)
    learner = make_account(db, name="Ann")
    enroll(db, learner.principal, course.id)
    return {
        "course": course,
        "owner": owner,
        "learner": learner,
        "admin": make_account(db, "admin"),
    }


def _ask(db, who, course_id, topic="Anaphase"):
    from lectern.meetings.schemas import MeetingRequestIn
    from lectern.meetings.service import create_request

    body = MeetingRequestIn(
        topic=topic, message="Please", preferred_times=[SOON, SOON + timedelta(days=1)]
    )
    return create_request(db, who.principal, course_id, body)


def _patch(db, who, request_id, **body):
    from lectern.meetings.schemas import MeetingUpdateIn
    from lectern.meetings.service import update_request

    return update_request(db, who.principal, request_id, MeetingUpdateIn.model_validate(body))


def _accept(db, who, request_id, at=SOON, url="https://meet.example/a"):
    return _patch(
        db, who, request_id, status="accepted", scheduled_at=at.isoformat(), meeting_url=url
    )


def _notes(db, account, type_name):
    from lectern.notifications.models import Notification

    return list(
        db.scalars(
            select(Notification)
            .where(Notification.user_id == account.id, Notification.type == type_name)
            .order_by(Notification.created_at)
        )
    )


def _event(db, who, request_id):
    from icalendar import Calendar

    from lectern.meetings.service import calendar_file

    [event] = Calendar.from_ical(calendar_file(db, who.principal, request_id)).walk("VEVENT")
    return event


def test_only_an_enrolled_learner_asks_and_the_owner_hears_of_it(db, course):
    request = _ask(db, course["learner"], course["course"].id)
    assert request.status == "pending" and request.sequence == 0 and request.calendar_url is None
    assert request.requester.name == "Ann"
    [note] = _notes(db, course["owner"], "meeting_request")
    assert note.title == "Live session requested: Anaphase"
    assert note.link == f"/courses/{course['course'].id}/meeting-requests/{request.id}"
    for who in (course["owner"], course["admin"], make_account(db)):
        with pytest.raises(Forbidden):
            _ask(db, who, course["course"].id)
    draft, _ = make_course(db, course["owner"], published=False)
    with pytest.raises(NotFound):
        _ask(db, course["learner"], draft.id)


def test_a_learner_may_have_three_requests_waiting_per_course(db, course):
    for n in range(3):
        _ask(db, course["learner"], course["course"].id, topic=f"T{n}")
    with pytest.raises(Conflict):
        _ask(db, course["learner"], course["course"].id)
    from lectern.meetings.service import list_mine

    mine = list_mine(db, course["learner"].principal, limit=10, cursor=None).items
    _patch(db, course["owner"], mine[0].id, status="declined")
    assert _ask(db, course["learner"], course["course"].id).status == "pending"


def test_accepting_needs_a_time_and_a_link_then_the_calendar_has_the_event(db, course):
    request = _ask(db, course["learner"], course["course"].id)
    with pytest.raises(InvalidField) as missing:
        _patch(db, course["owner"], request.id, status="accepted", meeting_url="https://m.example")
    assert missing.value.field == "scheduled_at"
    db.rollback()
    with pytest.raises(InvalidField) as missing:
        _patch(db, course["owner"], request.id, status="accepted", scheduled_at=SOON.isoformat())
    assert missing.value.field == "meeting_url"
    db.rollback()
    from lectern.meetings.service import calendar_file

    with pytest.raises(Conflict):
        calendar_file(db, course["learner"].principal, request.id)

    accepted = _accept(db, course["owner"], request.id)
    assert (accepted.status, accepted.sequence) == ("accepted", 0)
    assert accepted.calendar_url == f"/v1/meeting-requests/{request.id}/calendar.ics"
    [note] = _notes(db, course["learner"], "meeting_update")
    assert note.title.startswith("Live session accepted: Anaphase on ")
    event = _event(db, course["learner"], request.id)
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CONFIRMED", 0)
    uid = str(event["UID"])

    later = SOON + timedelta(hours=5)
    moved = _accept(db, course["owner"], request.id, at=later)
    assert moved.sequence == 1
    assert _accept(db, course["owner"], request.id, at=later).sequence == 1  # nothing changed
    event = _event(db, course["owner"], request.id)
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 1)
    assert event.decoded("DTSTART") == later.replace(microsecond=0)

    cancelled = _patch(db, course["learner"], request.id, status="cancelled")
    assert (cancelled.status, cancelled.sequence) == ("cancelled", 2)
    event = _event(db, course["learner"], request.id)
    assert (str(event["UID"]), str(event["STATUS"]), int(event["SEQUENCE"])) == (
        uid,
        "CANCELLED",
        2,
    )
    assert len(_notes(db, course["owner"], "meeting_update")) == 1  # the cancellation


@pytest.mark.parametrize("final", ["declined", "cancelled"])
def test_final_states_are_final(db, course, final):
    request = _ask(db, course["learner"], course["course"].id)
    who = course["owner"] if final == "declined" else course["learner"]
    _patch(db, who, request.id, status=final)
    for actor, body in (
        (
            course["owner"],
            {
                "status": "accepted",
                "scheduled_at": SOON.isoformat(),
                "meeting_url": "https://m.example",
            },
        ),
        (course["owner"], {"status": "declined"}),
        (course["learner"], {"status": "cancelled"}),
    ):
        with pytest.raises(Conflict):
            _patch(db, actor, request.id, **body)


def test_each_side_makes_only_its_own_moves_and_outsiders_see_nothing(db, course):
    from lectern.meetings.service import calendar_file

    request = _ask(db, course["learner"], course["course"].id)
    with pytest.raises(Forbidden):
        _accept(db, course["learner"], request.id)
    with pytest.raises(Forbidden):
        _patch(db, course["learner"], request.id, status="declined")
    with pytest.raises(Forbidden):
        _patch(db, course["owner"], request.id, status="cancelled")
    db.rollback()
    for outsider in (make_account(db), make_account(db, "instructor")):
        with pytest.raises(NotFound):
            _patch(db, outsider, request.id, status="cancelled")
        with pytest.raises(NotFound):
            calendar_file(db, outsider.principal, request.id)
    assert _accept(db, course["admin"], request.id).status == "accepted"
    assert _event(db, course["admin"], request.id) is not None


def test_a_race_of_accept_and_cancel_leaves_one_story(db, course):
    from lectern.db.engine import get_sessionmaker
    from lectern.meetings.models import MeetingRequest

    outcomes: list[str] = []
    for _ in range(5):
        request = _ask(db, course["learner"], course["course"].id)
        go = threading.Event()

        def act(who, body, request_id=request.id, go=go):
            go.wait(5)
            with get_sessionmaker()() as session:
                try:
                    _patch(session, who, request_id, **body)
                    outcomes.append(body["status"])
                except Conflict:
                    outcomes.append("409")

        threads = [
            threading.Thread(
                target=act,
                args=(
                    course["owner"],
                    {
                        "status": "accepted",
                        "scheduled_at": SOON.isoformat(),
                        "meeting_url": "https://m.example",
                    },
                ),
            ),
            threading.Thread(target=act, args=(course["learner"], {"status": "cancelled"})),
        ]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join()
        row = db.get(MeetingRequest, request.id, populate_existing=True)
        # Either the cancel came first (the accept then met a final state), or the accept
        # did and the cancel cancelled the accepted session, bumping its SEQUENCE.
        assert row.status == "cancelled"
        assert row.sequence == (1 if row.accepted_at is not None else 0)
    assert set(outcomes) <= {"accepted", "cancelled", "409"}

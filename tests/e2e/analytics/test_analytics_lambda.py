"""Analytics end to end through the `analytics` Lambda handler: event batches (and the
exact field each refusal names) and the daily report (who sees what, the range rules)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.e2e.conftest import invoke
from tests.factories import new_account, new_course


def _problem(reply, status):
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    return reply.body


def _fields(reply):
    return [e["field"] for e in _problem(reply, 422)["errors"]]


def _post(account, events, **extra):
    token = account.token if account else None
    return invoke("analytics", "POST", "/v1/events", token=token, body={"events": events, **extra})


def _event(kind="lesson_viewed", when=None, **context):
    body = {"type": kind, "occurred_at": (when or datetime.now(UTC)).isoformat()}
    if context:
        body["context"] = context
    return body


def _stored(user_id):
    from lectern.analytics.models import Event
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        return db.scalars(select(Event).where(Event.user_id == user_id)).all()


# --- POST /v1/events --------------------------------------------------------------------


def test_a_batch_is_accepted_as_the_callers_events():
    owner, learner = new_account("instructor"), new_account()
    course, _ = new_course(owner)
    events = [_event("video_progress", course_id=str(course.id), seconds=i) for i in range(499)]
    events.append(_event("search_performed", query="mitochondria"))

    reply = _post(learner, events)
    assert reply.status == 202, reply.body
    assert reply.body == {"accepted": 500}
    stored = _stored(learner.id)
    assert len(stored) == 500
    assert sum(1 for e in stored if e.course_id == course.id) == 499
    assert {e.user_id for e in stored} == {learner.id}


def test_posting_events_needs_a_session():
    reply = _post(None, [_event()])
    _problem(reply, 401)
    assert reply.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"type": "page_viewed"}, "events.1.type"),
        ({"type": None}, "events.1.type"),
        # Recorded by Lectern itself when the action happens: never taken from clients.
        ({"type": "lesson_completed"}, "events.1.type"),
        ({"type": "exam_completed"}, "events.1.type"),
        # Attack: a learner wrote uploads into any course's analytics (it was missing
        # from the server-recorded set).
        ({"type": "document_uploaded"}, "events.1.type"),
        ({"occurred_at": "2026-03-01T12:00:00"}, "events.1.occurred_at"),
        ({"occurred_at": "yesterday"}, "events.1.occurred_at"),
        ({"occurred_at": "2001-01-01T00:00:00Z"}, "events.1.occurred_at"),
        ({"occurred_at": "2099-01-01T00:00:00+02:00"}, "events.1.occurred_at"),
        # Found by the fuzz run: a number was read as a Unix time.
        ({"occurred_at": int(datetime.now(UTC).timestamp())}, "events.1.occurred_at"),
        ({"occurred_at": str(int(datetime.now(UTC).timestamp()))}, "events.1.occurred_at"),
        ({"context": {"blob": "x" * 9000}}, "events.1.context"),
        ({"context": "a string"}, "events.1.context"),
        ({"context": {"course_id": str(uuid.uuid4())}}, "events.1.context.course_id"),
        ({"context": {"course_id": "abc"}}, "events.1.context.course_id"),
        ({"user_id": str(uuid.uuid4())}, "events.1.user_id"),
        ({"course_id": str(uuid.uuid4())}, "events.1.course_id"),
    ],
)
def test_a_bad_event_is_named_and_its_batch_written_not_at_all(bad, field):
    learner = new_account()
    reply = _post(learner, [_event(), {**_event(), **bad}, _event()])
    assert _fields(reply) == [field]
    assert _stored(learner.id) == []


def test_batch_size_and_body_fields():
    learner = new_account()
    assert _fields(_post(learner, [])) == ["events"]
    assert _fields(_post(learner, [_event()] * 501)) == ["events"]
    assert _fields(_post(learner, [_event()], user_id=str(uuid.uuid4()))) == ["user_id"]
    assert _stored(learner.id) == []


def test_a_course_is_named_only_if_the_caller_may_see_it():
    owner, learner = new_account("instructor"), new_account()
    draft, _ = new_course(owner, published=False)
    context = {"course_id": str(draft.id)}

    assert _fields(_post(learner, [_event(**context)])) == ["events.0.context.course_id"]
    reply = _post(owner, [_event(**context)])
    assert reply.status == 202, reply.body
    [event] = _stored(owner.id)
    assert event.course_id == draft.id and event.context == {}


# --- GET /v1/analytics/daily ------------------------------------------------------------

# Days no other test writes rollups for.
FIRST = date(2004, 6, 1)
LAST = FIRST + timedelta(days=1)
RANGE = f"from={FIRST}&to={LAST}"


def _fill(courses):
    from lectern.analytics.models import DailyCourseActivity, DailyEventCount, EventType
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        db.execute(
            DailyEventCount.__table__.delete().where(DailyEventCount.day.between(FIRST, LAST))
        )
        for day in (FIRST, LAST):
            db.add(DailyEventCount(day=day, event_type=EventType.lesson_viewed, events=9, users=4))
            for course in courses:
                db.add(
                    DailyCourseActivity(
                        day=day,
                        course_id=course.id,
                        event_type=EventType.lesson_completed,
                        events=3,
                        users=2,
                    )
                )
        db.commit()


def _daily(account, query=RANGE):
    token = account.token if account else None
    return invoke("analytics", "GET", "/v1/analytics/daily", token=token, query=query)


def test_the_report_is_for_instructors_and_admins():
    assert _problem(_daily(None), 401)
    assert _problem(_daily(new_account()), 403)


def test_instructors_see_their_courses_and_admins_everything():
    owner, other = new_account("instructor"), new_account("instructor")
    admin = new_account("admin")
    mine, _ = new_course(owner, title="Mine")
    theirs, _ = new_course(other, title="Theirs")
    _fill([mine, theirs])

    reply = _daily(owner)
    assert reply.status == 200, reply.body
    assert (reply.body["from"], reply.body["to"]) == (str(FIRST), str(LAST))
    assert reply.body["totals"] == []
    assert reply.body["courses"] == [
        {
            "day": str(day),
            "course_id": str(mine.id),
            "course_title": "Mine",
            "event_type": "lesson_completed",
            "events": 3,
            "users": 2,
        }
        for day in (FIRST, LAST)
    ]

    everything = _daily(admin)
    assert everything.status == 200, everything.body
    assert everything.body["totals"] == [
        {"day": str(day), "event_type": "lesson_viewed", "events": 9, "users": 4}
        for day in (FIRST, LAST)
    ]
    seen = {c["course_id"] for c in everything.body["courses"]}
    assert {str(mine.id), str(theirs.id)} <= seen

    only = _daily(admin, f"{RANGE}&course_id={theirs.id}")
    assert {c["course_id"] for c in only.body["courses"]} == {str(theirs.id)}
    own = _daily(owner, f"{RANGE}&course_id={mine.id}")
    assert len(own.body["courses"]) == 2
    for course_id in (theirs.id, uuid.uuid4()):
        _problem(_daily(owner, f"{RANGE}&course_id={course_id}"), 404)
    assert _fields(_daily(owner, "course_id=nope")) == ["course_id"]


def test_the_range_defaults_to_the_last_30_days_and_is_bounded():
    instructor = new_account("instructor")
    today = datetime.now(UTC).date()
    reply = _daily(instructor, "")
    assert reply.status == 200, reply.body
    assert reply.body["to"] == str(today)
    assert reply.body["from"] == str(today - timedelta(days=29))

    assert _fields(_daily(instructor, "from=2026-03-02&to=2026-03-01")) == ["to"]
    assert _fields(_daily(instructor, "from=2025-01-01&to=2026-01-02")) == ["from"]
    assert _fields(_daily(instructor, "from=2026-02-30")) == ["from"]
    # Found by the fuzz run: "0" was read as a Unix time (1970-01-01), and answered 200.
    assert _fields(_daily(instructor, "to=0")) == ["to"]
    assert _fields(_daily(instructor, "from=1767268800")) == ["from"]
    assert _daily(instructor, "from=2024-01-01&to=2024-12-31").status == 200


def test_event_batches_are_throttled_per_learner(settings_env):
    """Finding: POST /v1/events had no throttle (500 events a request, unbounded)."""
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_ANALYTICS_EVENT_BATCHES_PER_MINUTE", "3")
    reset_clients()
    from tests.factories import clear_of_window_edge

    learner, other = new_account(), new_account()
    clear_of_window_edge(60)
    replies = [_post(learner, [_event()]) for _ in range(4)]
    assert [r.status for r in replies] == [202, 202, 202, 429]
    assert _problem(replies[3], 429)["type"] == "urn:lectern:problem:rate-limited"
    assert int(replies[3].headers["retry-after"]) >= 1
    assert len(_stored(learner.id)) == 3  # the refused batch wrote nothing
    assert _post(other, [_event()]).status == 202

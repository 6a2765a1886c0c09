"""The meetings function through its Lambda handler: the contract's codes, bad input by
field, the .ics as text/calendar."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import invoke
from tests.factories import new_account, new_course

F = "meetings"
SOON = (datetime.now(UTC) + timedelta(days=4)).replace(microsecond=0)


@pytest.fixture(scope="module")
def world():
    owner = new_account("instructor", "Prof")
    course, _ = new_course(owner, lessons=1)
    learner = new_account(name="Ann")
    assert (
        invoke("progress", "POST", f"/v1/courses/{course.id}/enroll", token=learner.token).status
        == 201
    )
    return {"owner": owner, "course": course, "learner": learner}


def _ask(world):
    reply = invoke(
        F,
        "POST",
        f"/v1/courses/{world['course'].id}/meeting-requests",
        token=world["learner"].token,
        body={"topic": "Help", "preferred_times": [SOON.isoformat()]},
    )
    assert reply.status == 201, reply.body
    return reply.body


def test_request_accept_and_download_the_event(world):
    request = _ask(world)
    assert request["status"] == "pending" and request["preferred_times"] == [
        SOON.isoformat().replace("+00:00", "Z")
    ]
    listed = invoke(
        F, "GET", f"/v1/courses/{world['course'].id}/meeting-requests", token=world["owner"].token
    )
    assert request["id"] in [r["id"] for r in listed.body["items"]]
    mine = invoke(F, "GET", "/v1/me/meeting-requests", token=world["learner"].token)
    assert request["id"] in [r["id"] for r in mine.body["items"]]
    early = invoke(
        F, "GET", f"/v1/meeting-requests/{request['id']}/calendar.ics", token=world["learner"].token
    )
    assert early.status == 409
    accepted = invoke(
        F,
        "PATCH",
        f"/v1/meeting-requests/{request['id']}",
        token=world["owner"].token,
        body={
            "status": "accepted",
            "scheduled_at": SOON.isoformat(),
            "meeting_url": "https://meet.example/x",
        },
    )
    assert accepted.status == 200 and accepted.body["status"] == "accepted"
    ics = invoke(F, "GET", accepted.body["calendar_url"], token=world["learner"].token)
    assert ics.status == 200
    assert ics.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "BEGIN:VEVENT" in ics.body and f"UID:meeting-{request['id']}@lectern" in ics.body
    assert "SEQUENCE:0" in ics.body and "STATUS:CONFIRMED" in ics.body
    done = invoke(
        F,
        "PATCH",
        f"/v1/meeting-requests/{request['id']}",
        token=world["learner"].token,
        body={"status": "cancelled"},
    )
    assert done.status == 200
    again = invoke(
        F,
        "PATCH",
        f"/v1/meeting-requests/{request['id']}",
        token=world["learner"].token,
        body={"status": "cancelled"},
    )
    assert again.status == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"topic": "x", "preferred_times": []}, "preferred_times"),
        ({"topic": "x", "preferred_times": ["2001-01-01T10:00:00Z"]}, "preferred_times.0"),
        ({"topic": "x", "preferred_times": ["tomorrow"]}, "preferred_times.0"),
        ({"topic": "", "preferred_times": [SOON.isoformat()]}, "topic"),
        ({"topic": "x", "preferred_times": [SOON.isoformat()], "status": "accepted"}, "status"),
        ({"preferred_times": [SOON.isoformat()]}, "topic"),
    ],
)
def test_a_bad_request_is_refused_by_field(world, body, field):
    reply = invoke(
        F,
        "POST",
        f"/v1/courses/{world['course'].id}/meeting-requests",
        token=world["learner"].token,
        body=body,
    )
    assert reply.status == 422, reply.body
    assert any(e["field"].startswith(field) for e in reply.body["errors"]), reply.body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "accepted", "meeting_url": "https://m.example"}, "scheduled_at"),
        ({"status": "accepted", "scheduled_at": SOON.isoformat()}, "meeting_url"),
        (
            {
                "status": "accepted",
                "scheduled_at": SOON.isoformat(),
                "meeting_url": "javascript:alert(1)",
            },
            "meeting_url",
        ),
        ({"status": "declined", "meeting_url": "https://m.example"}, "meeting_url"),
        ({"status": "pending"}, "status"),
    ],
)
def test_a_bad_decision_is_refused_by_field_and_changes_nothing(world, body, field):
    request = _ask(world)
    reply = invoke(
        F, "PATCH", f"/v1/meeting-requests/{request['id']}", token=world["owner"].token, body=body
    )
    assert reply.status == 422, reply.body
    assert field in {e["field"] for e in reply.body["errors"]}
    mine = invoke(F, "GET", "/v1/me/meeting-requests", token=world["learner"].token).body["items"]
    assert [r["status"] for r in mine if r["id"] == request["id"]] == ["pending"]
    invoke(
        F,
        "PATCH",
        f"/v1/meeting-requests/{request['id']}",
        token=world["owner"].token,
        body={"status": "declined"},
    )


def test_unknown_ids_and_anonymous_callers(world):
    missing = uuid.uuid4()
    assert (
        invoke(
            F,
            "PATCH",
            f"/v1/meeting-requests/{missing}",
            token=world["owner"].token,
            body={"status": "declined"},
        ).status
        == 404
    )
    assert (
        invoke(
            F, "GET", f"/v1/meeting-requests/{missing}/calendar.ics", token=world["owner"].token
        ).status
        == 404
    )
    assert invoke(F, "GET", "/v1/me/meeting-requests").status == 401

"""Attack: an instructor demoted to student keeps full control of their courses.

Before: after ``PATCH /v1/admin/users/{id} {"role": "student"}`` the user still created
modules and lessons, renamed, published and shared their course. Now each is a 403
problem and nothing changes; they still see their own course."""

from __future__ import annotations

from tests.e2e.conftest import invoke
from tests.factories import new_account


def test_a_demoted_instructor_can_no_longer_change_or_share_their_course():
    owner, admin = new_account("instructor"), new_account("admin")
    course = invoke("courses", "POST", "/v1/courses", token=owner.token, body={"title": "Mine"})
    course_id = course.body["id"]
    module = invoke(
        "courses",
        "POST",
        f"/v1/courses/{course_id}/modules",
        token=owner.token,
        body={"title": "One"},
    ).body
    lesson = invoke(
        "courses",
        "POST",
        f"/v1/modules/{module['id']}/lessons",
        token=owner.token,
        body={"title": "L", "content": "text"},
    ).body
    demoted = invoke(
        "users",
        "PATCH",
        f"/v1/admin/users/{owner.id}",
        token=admin.token,
        body={"role": "student"},
    )
    assert demoted.status == 200 and demoted.body["role"] == "student"

    attempts = [
        ("courses", "POST", f"/v1/courses/{course_id}/modules", {"title": "Two"}),
        ("courses", "POST", f"/v1/modules/{module['id']}/lessons", {"title": "M", "content": "x"}),
        ("courses", "PATCH", f"/v1/courses/{course_id}", {"title": "Renamed"}),
        ("courses", "POST", f"/v1/courses/{course_id}/publish", None),
        ("courses", "PATCH", f"/v1/lessons/{lesson['id']}", {"title": "Edited"}),
        ("courses", "DELETE", f"/v1/lessons/{lesson['id']}", None),
        ("courses", "DELETE", f"/v1/courses/{course_id}", None),
        ("sharing", "POST", "/v1/shares", {"entity_type": "course", "entity_id": course_id}),
        ("sharing", "POST", "/v1/shares", {"entity_type": "lesson", "entity_id": lesson["id"]}),
    ]
    for function, method, path, body in attempts:
        reply = invoke(function, method, path, token=owner.token, body=body)
        assert reply.status == 403, (method, path, reply.body)
        assert reply.headers["content-type"] == "application/problem+json"

    outline = invoke("courses", "GET", f"/v1/courses/{course_id}", token=owner.token)
    assert outline.status == 200  # still theirs to see
    assert outline.body["title"] == "Mine" and outline.body["published"] is False
    assert [m["title"] for m in outline.body["modules"]] == ["One"]
    assert [x["title"] for x in outline.body["modules"][0]["lessons"]] == ["L"]
    assert invoke("courses", "GET", f"/v1/lessons/{lesson['id']}", token=owner.token).status == 200

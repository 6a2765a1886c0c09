"""Progress end to end through the `progress` Lambda handler: enrollments, completion,
certificates (and their public check), stats and leaderboards."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.conftest import invoke
from tests.factories import new_account, new_course


def course_ids(owner, **kwargs):
    """A course made through the ORM, as the ids a client sees."""
    course, lessons = new_course(owner, **kwargs)
    return str(course.id), [str(lesson.id) for lesson in lessons]


CODE = re.compile(r"^LECT(-[0-9A-HJKMNP-TV-Z]{4}){4}$")


def _problem(reply, status):
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    return reply.body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/v1/courses/{uuid.uuid4()}/enroll"),
        ("GET", "/v1/me/enrollments"),
        ("POST", f"/v1/lessons/{uuid.uuid4()}/complete"),
        ("GET", "/v1/me/certificates"),
        ("GET", "/v1/me/stats"),
        ("GET", "/v1/leaderboards/weekly"),
    ],
)
def test_every_route_but_the_public_check_needs_a_token(method, path):
    reply = invoke("progress", method, path)
    _problem(reply, 401)
    assert reply.headers["www-authenticate"] == "Bearer"


def test_enroll_created_conflict_not_found_and_no_client_set_fields():
    owner, learner = new_account("instructor"), new_account()
    course_id, _ = course_ids(owner)
    draft_id, _ = course_ids(owner, published=False)

    sneaky = invoke(
        "progress",
        "POST",
        f"/v1/courses/{course_id}/enroll",
        token=learner.token,
        body={"progress": 1},
    )
    assert [e["field"] for e in _problem(sneaky, 422)["errors"]] == ["progress"]

    created = invoke("progress", "POST", f"/v1/courses/{course_id}/enroll", token=learner.token)
    assert created.status == 201, created.body
    assert created.body["course_id"] == course_id
    assert created.body["progress"] == 0 and created.body["completed_lessons"] == 0
    assert created.body["completed_at"] is None and created.body["enrolled_at"]

    again = invoke("progress", "POST", f"/v1/courses/{course_id}/enroll", token=learner.token)
    _problem(again, 409)
    for missing in (str(uuid.uuid4()), draft_id):
        reply = invoke("progress", "POST", f"/v1/courses/{missing}/enroll", token=learner.token)
        _problem(reply, 404)
    bad = invoke("progress", "POST", "/v1/courses/not-a-uuid/enroll", token=learner.token)
    assert [e["field"] for e in _problem(bad, 422)["errors"]] == ["id"]


def test_enrollments_page_newest_first():
    owner, learner = new_account("instructor"), new_account()
    courses = [course_ids(owner, lessons=n + 1, title=f"E2E {n}")[0] for n in range(3)]
    for course_id in courses:
        invoke("progress", "POST", f"/v1/courses/{course_id}/enroll", token=learner.token)

    first = invoke("progress", "GET", "/v1/me/enrollments", token=learner.token, query="limit=2")
    assert first.status == 200, first.body
    assert [i["course_id"] for i in first.body["items"]] == courses[:0:-1]
    item = first.body["items"][0]
    assert item["course_title"] == "E2E 2" and item["total_lessons"] == 3
    assert item["progress"] == 0 and item["completed_lessons"] == 0
    second = invoke(
        "progress",
        "GET",
        "/v1/me/enrollments",
        token=learner.token,
        query=f"limit=2&cursor={first.body['next_cursor']}",
    )
    assert [i["course_id"] for i in second.body["items"]] == courses[:1]
    assert second.body["next_cursor"] is None

    for query, field in (("limit=0", "limit"), ("limit=101", "limit"), ("cursor=%25%25", "cursor")):
        reply = invoke("progress", "GET", "/v1/me/enrollments", token=learner.token, query=query)
        assert [e["field"] for e in _problem(reply, 422)["errors"]] == [field]


def test_complete_lessons_to_a_certificate_that_anyone_can_verify():
    owner = new_account("instructor")
    learner = new_account(name="Ada Lovelace")
    course_id, lessons = course_ids(owner, lessons=2, title="Analytical Engines")

    not_enrolled = invoke(
        "progress", "POST", f"/v1/lessons/{lessons[0]}/complete", token=learner.token
    )
    assert "enroll" in _problem(not_enrolled, 403)["detail"].lower()
    owner_try = invoke("progress", "POST", f"/v1/lessons/{lessons[0]}/complete", token=owner.token)
    _problem(owner_try, 403)
    unknown = invoke(
        "progress", "POST", f"/v1/lessons/{uuid.uuid4()}/complete", token=learner.token
    )
    _problem(unknown, 404)

    invoke("progress", "POST", f"/v1/courses/{course_id}/enroll", token=learner.token)
    half = invoke("progress", "POST", f"/v1/lessons/{lessons[0]}/complete", token=learner.token)
    assert half.status == 200, half.body
    assert half.body == {
        "progress": 0.5,
        "completed_lessons": 1,
        "total_lessons": 2,
        "xp_awarded": 10,
        "certificate": None,
    }
    repeat = invoke("progress", "POST", f"/v1/lessons/{lessons[0]}/complete", token=learner.token)
    assert repeat.body == {**half.body, "xp_awarded": 0}
    sneaky = invoke(
        "progress",
        "POST",
        f"/v1/lessons/{lessons[1]}/complete",
        token=learner.token,
        body={"xp_awarded": 1000},
    )
    assert [e["field"] for e in _problem(sneaky, 422)["errors"]] == ["xp_awarded"]

    done = invoke("progress", "POST", f"/v1/lessons/{lessons[1]}/complete", token=learner.token)
    assert done.body["progress"] == 1.0 and done.body["xp_awarded"] == 10
    certificate = done.body["certificate"]
    assert CODE.match(certificate["code"]) and certificate["issued_at"]

    mine = invoke("progress", "GET", "/v1/me/certificates", token=learner.token)
    assert mine.status == 200 and mine.body["next_cursor"] is None
    assert mine.body["items"] == [
        {
            "code": certificate["code"],
            "course_id": course_id,
            "course_title": "Analytical Engines",
            "issued_at": certificate["issued_at"],
            "verify_url": f"/v1/certificates/{certificate['code']}",
        }
    ]
    enrollments = invoke("progress", "GET", "/v1/me/enrollments", token=learner.token)
    [enrollment] = enrollments.body["items"]
    assert enrollment["progress"] == 1.0 and enrollment["completed_at"] is not None

    public = invoke("progress", "GET", f"/v1/certificates/{certificate['code']}")  # no token
    assert public.status == 200, public.body
    assert public.body == {
        "code": certificate["code"],
        "course_title": "Analytical Engines",
        "learner_name": "Ada Lovelace",
        "issued_at": certificate["issued_at"],
        # Who certifies: the course's instructor, by display name only.
        "issuer_name": "Instructor",
    }
    assert learner.user.email not in str(public.body)
    _problem(invoke("progress", "GET", "/v1/certificates/LECT-0000-0000-0000-0000"), 404)
    too_long = invoke("progress", "GET", "/v1/certificates/" + "X" * 65)
    assert [e["field"] for e in _problem(too_long, 422)["errors"]] == ["code"]


def test_stats_after_completing_lessons():
    owner, learner = new_account("instructor"), new_account()
    course_id, lessons = course_ids(owner, lessons=1)
    empty = invoke("progress", "GET", "/v1/me/stats", token=learner.token)
    assert empty.status == 200
    assert empty.body == {
        "xp": 0,
        "level": 1,
        "streak_days": 0,
        "lessons_completed": 0,
        "courses_completed": 0,
        "answered": 0,
        "accuracy": 0.0,
        "weekly_xp": 0,
    }
    invoke("progress", "POST", f"/v1/courses/{course_id}/enroll", token=learner.token)
    invoke("progress", "POST", f"/v1/lessons/{lessons[0]}/complete", token=learner.token)
    stats = invoke("progress", "GET", "/v1/me/stats", token=learner.token).body
    assert stats["xp"] == stats["weekly_xp"] == 10
    assert stats["lessons_completed"] == stats["courses_completed"] == stats["streak_days"] == 1


@pytest.fixture
def own_boards(settings_env):
    """Leaderboards of this test's own (a fresh KV prefix), so ranks are exact and nothing
    is left on the boards other tests rank against. Accounts must be made after it."""
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_KV_PREFIX", f"lectern-test-{uuid.uuid4().hex[:8]}")
    reset_clients()


def test_leaderboards_rank_learners_and_place_the_caller(own_boards):
    owner = new_account("instructor")
    course_id, lessons = course_ids(owner, lessons=3)
    learners = [new_account(name=f"Board {n}") for n in range(3)]
    for learner, done in zip(learners, (2, 3, 1), strict=True):
        invoke("progress", "POST", f"/v1/courses/{course_id}/enroll", token=learner.token)
        for lesson_id in lessons[:done]:
            invoke("progress", "POST", f"/v1/lessons/{lesson_id}/complete", token=learner.token)

    for period in ("weekly", "all_time"):
        reply = invoke("progress", "GET", f"/v1/leaderboards/{period}", token=learners[0].token)
        assert reply.status == 200, reply.body
        assert reply.body == {
            "period": period,
            "entries": [
                {"rank": 1, "user_id": str(learners[1].id), "name": "Board 1", "xp": 30},
                {"rank": 2, "user_id": str(learners[0].id), "name": "Board 0", "xp": 20},
                {"rank": 3, "user_id": str(learners[2].id), "name": "Board 2", "xp": 10},
            ],
            "me": {"rank": 2, "xp": 20},
        }

    top = invoke(
        "progress", "GET", "/v1/leaderboards/all_time", token=learners[2].token, query="limit=1"
    )
    assert [e["name"] for e in top.body["entries"]] == ["Board 1"]
    assert top.body["me"] == {"rank": 3, "xp": 10}
    outsider = invoke("progress", "GET", "/v1/leaderboards/weekly", token=owner.token)
    assert outsider.body["me"] == {"rank": None, "xp": 0}

    bad = invoke("progress", "GET", "/v1/leaderboards/monthly", token=owner.token)
    assert [e["field"] for e in _problem(bad, 422)["errors"]] == ["period"]
    for limit in ("0", "101"):
        reply = invoke(
            "progress", "GET", "/v1/leaderboards/weekly", token=owner.token, query=f"limit={limit}"
        )
        assert [e["field"] for e in _problem(reply, 422)["errors"]] == ["limit"]


def test_owners_cannot_certify_themselves():
    """Attack: an instructor enrolls in their own unpublished draft titled like a real
    credential and completes it. Before, the public verification then showed it."""
    owner = new_account("instructor")
    draft, draft_lessons = course_ids(
        owner, lessons=1, title="Board Certified Surgeon", published=False
    )
    assert (
        invoke("progress", "POST", f"/v1/courses/{draft}/enroll", token=owner.token).status == 201
    )
    done = invoke("progress", "POST", f"/v1/lessons/{draft_lessons[0]}/complete", token=owner.token)
    assert done.status == 200, done.body
    assert done.body["progress"] == 1.0 and done.body["certificate"] is None

    # Published, it certifies its learners, still never its owner.
    published, lessons = course_ids(owner, lessons=1, title="Also Mine", published=True)
    invoke("progress", "POST", f"/v1/courses/{published}/enroll", token=owner.token)
    own = invoke("progress", "POST", f"/v1/lessons/{lessons[0]}/complete", token=owner.token)
    assert own.status == 200 and own.body["certificate"] is None
    mine = invoke("progress", "GET", "/v1/me/certificates", token=owner.token)
    assert mine.status == 200 and mine.body["items"] == []

    # A learner enrolled in a draft (an admin can see drafts) gets none either.
    admin = new_account("admin")
    invoke("progress", "POST", f"/v1/courses/{draft}/enroll", token=admin.token)
    by_admin = invoke(
        "progress", "POST", f"/v1/lessons/{draft_lessons[0]}/complete", token=admin.token
    )
    assert by_admin.status == 200 and by_admin.body["certificate"] is None


def test_a_learner_can_keep_off_the_leaderboards(own_boards):
    """Finding: learners could not hide from leaderboards (which showed a magic-link
    account's email local part as its name)."""
    owner = new_account("instructor")
    course_id, lessons = course_ids(owner, lessons=3)
    shy, other = new_account(name="Shy"), new_account(name="Other")
    for learner in (shy, other):
        invoke("progress", "POST", f"/v1/courses/{course_id}/enroll", token=learner.token)
    invoke("progress", "POST", f"/v1/lessons/{lessons[0]}/complete", token=shy.token)
    invoke("progress", "POST", f"/v1/lessons/{lessons[0]}/complete", token=other.token)

    hidden = invoke(
        "users", "PATCH", "/v1/me", token=shy.token, body={"leaderboard_visible": False}
    )
    assert hidden.status == 200 and hidden.body["leaderboard_visible"] is False
    # XP earned while hidden is not published either.
    invoke("progress", "POST", f"/v1/lessons/{lessons[1]}/complete", token=shy.token)
    for period in ("weekly", "all_time"):
        board = invoke("progress", "GET", f"/v1/leaderboards/{period}", token=other.token).body
        assert [e["name"] for e in board["entries"]] == ["Other"]
        assert board["me"] == {"rank": 1, "xp": 10}
    assert invoke("users", "GET", "/v1/me", token=shy.token).body["xp"] == 20  # still theirs

    # The scheduled refresh does not put them back. It also publishes whichever other
    # tests' profiles changed since its last run, so only this test's two are looked at.
    from lectern.core.upkeep import run_tasks

    def ours(board: dict) -> list[tuple[str, int]]:
        return [(e["name"], e["xp"]) for e in board["entries"] if e["name"] in ("Shy", "Other")]

    assert run_tasks(["leaderboards"])["leaderboards"]["status"] == "ok"
    board = invoke("progress", "GET", "/v1/leaderboards/all_time", token=other.token).body
    assert ours(board) == [("Other", 10)]

    shown = invoke("users", "PATCH", "/v1/me", token=shy.token, body={"leaderboard_visible": True})
    assert shown.status == 200
    board = invoke("progress", "GET", "/v1/leaderboards/all_time", token=other.token).body
    assert ours(board) == [("Shy", 20), ("Other", 10)]


def test_hiding_and_showing_again_without_xp(own_boards):
    """Found by the fuzz run: showing again an account with no XP sent Upstash an empty
    pipeline, which it refuses, and the PATCH answered 500 (after it had committed)."""
    for role in ("student", "instructor", "admin"):
        account = new_account(role)
        for visible in (False, True):
            reply = invoke(
                "users",
                "PATCH",
                "/v1/me",
                token=account.token,
                body={"leaderboard_visible": visible},
            )
            assert reply.status == 200, reply.body
            assert reply.body["leaderboard_visible"] is visible and reply.body["xp"] == 0
        board = invoke("progress", "GET", "/v1/leaderboards/all_time", token=account.token).body
        assert board["me"] == {"rank": None, "xp": 0}

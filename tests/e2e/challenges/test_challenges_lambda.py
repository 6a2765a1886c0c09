"""Challenges through the Lambda handler: an author's challenge, learners join, a lesson
completion scores in the same request, the list shows the caller's own score, and the
leaderboard ranks with the caller's own standing; the contract's 409s and 422s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.badges.test_badges_lambda import _course, _ok
from tests.e2e.conftest import invoke
from tests.factories import new_account


def _window(start_minutes=-5, end_minutes=60):
    now = datetime.now(UTC)
    return (
        (now + timedelta(minutes=start_minutes)).isoformat(),
        (now + timedelta(minutes=end_minutes)).isoformat(),
    )


def test_join_score_list_and_leaderboard():
    author = new_account("instructor", "Challenge Author")
    course, lesson = _course(author)
    starts, ends = _window()
    challenge = _ok(
        invoke(
            "challenges",
            "POST",
            "/v1/challenges",
            token=author.token,
            body={
                "title": "Lesson sprint",
                "description": "One lesson.",
                "difficulty": "easy",
                "starts_at": starts,
                "ends_at": ends,
                "metric": "lessons_completed",
                "course_id": course["id"],
                "target": 1,
            },
        )
    )
    assert challenge["status"] == "active" and challenge["joined"] is False
    runner, watcher = new_account("student", "Runner"), new_account("student", "Watcher")
    for who in (runner, watcher):
        joined = _ok(
            invoke("challenges", "POST", f"/v1/challenges/{challenge['id']}/join", token=who.token)
        )
        assert joined["score"] == 0
    again = invoke(
        "challenges", "POST", f"/v1/challenges/{challenge['id']}/join", token=runner.token
    )
    assert again.status == 409

    _ok(invoke("progress", "POST", f"/v1/courses/{course['id']}/enroll", token=runner.token))
    _ok(invoke("progress", "POST", f"/v1/lessons/{lesson['id']}/complete", token=runner.token), 200)

    listed = _ok(
        invoke(
            "challenges",
            "GET",
            "/v1/challenges",
            token=runner.token,
            query="status=active&limit=100",
        ),
        200,
    )
    mine = next(c for c in listed["items"] if c["id"] == challenge["id"])
    assert mine["joined"] and mine["my_score"] == 1 and mine["completed_at"]
    upcoming = _ok(
        invoke("challenges", "GET", "/v1/challenges", token=runner.token, query="status=upcoming"),
        200,
    )
    assert challenge["id"] not in [c["id"] for c in upcoming["items"]]

    board = _ok(
        invoke(
            "challenges",
            "GET",
            f"/v1/challenges/{challenge['id']}/leaderboard",
            token=watcher.token,
        ),
        200,
    )
    assert [(e["rank"], e["name"], e["score"]) for e in board["entries"]] == [
        (1, "Runner", 1),
        (2, "Watcher", 0),
    ]
    assert board["me"] == {"joined": True, "rank": 2, "score": 0, "completed_at": None}
    assert "email" not in str(board)

    inbox = _ok(invoke("notifications", "GET", "/v1/me/notifications", token=runner.token), 200)
    assert any(n["type"] == "challenge_completed" for n in inbox["items"])


def test_ended_challenges_refuse_joins_and_bad_bodies_name_the_field():
    author = new_account("instructor")
    starts, ends = _window(-120, -60)
    body = {
        "title": "Old",
        "difficulty": "hard",
        "starts_at": starts,
        "ends_at": ends,
        "metric": "xp",
        "target": 10,
    }
    ended = _ok(invoke("challenges", "POST", "/v1/challenges", token=author.token, body=body))
    assert ended["status"] == "ended"
    learner = new_account("student")
    assert (
        invoke(
            "challenges", "POST", f"/v1/challenges/{ended['id']}/join", token=learner.token
        ).status
        == 409
    )
    for field, value in (
        ("starts_at", 0),
        ("target", "10"),
        ("target", 0),
        ("metric", "minutes"),
        ("ends_at", "2020-01-01T00:00:00Z"),
        ("badge_id", "00000000-0000-0000-0000-000000000000"),
    ):
        reply = invoke(
            "challenges", "POST", "/v1/challenges", token=author.token, body={**body, field: value}
        )
        assert reply.status == 422, (field, reply.body)
    assert (
        invoke("challenges", "POST", "/v1/challenges", token=learner.token, body=body).status == 403
    )

"""Object-level authorization of the challenges' and badges' routes that take an id, for
each caller: the instructor (who set the challenges and wrote the badge, on their
course), the learner (enrolled, who earned the badge), another learner, another
instructor, an admin and an anonymous caller. As in ``test_authorization_matrix``: the
refusals run first in one world and change nothing; each caller who may act then acts in
a world of its own.

A challenge set on an unpublished course is hidden (404) from whoever cannot see the
course; one on a published course is everyone's to join. Credentials and achievements
are public; only the badge's author or an admin revokes an award.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.api import role_matrix
from tests.e2e.api.role_matrix import RoleCase
from tests.e2e.api.test_authorization_matrix import ROLES, _course, _ok
from tests.e2e.conftest import invoke
from tests.factories import Account, new_account

CH, BA = "challenges", "badges"


@pytest.fixture(scope="module")
def actors() -> dict[str, Account | None]:
    return {
        "instructor": new_account("instructor", "Owner Instructor"),
        "learner": new_account("student", "Owner Learner"),
        "other_learner": new_account("student", "Other Learner"),
        "other_instructor": new_account("instructor", "Other Instructor"),
        "admin": new_account("admin", "Admin"),
    }


@dataclass
class World:
    open_challenge: dict[str, Any]  # on the instructor's published course
    draft_challenge: dict[str, Any]  # on the instructor's unpublished course
    badge: dict[str, Any]  # the instructor's, for completing the published course
    assertion: dict[str, Any]  # the learner's award of it


def _challenge(owner: Account, course_id: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return _ok(
        invoke(
            CH,
            "POST",
            "/v1/challenges",
            token=owner.token,
            body={
                "title": "Matrix challenge",
                "difficulty": "easy",
                "starts_at": (now - timedelta(minutes=5)).isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
                "metric": "xp",
                "course_id": course_id,
                "target": 100,
            },
        )
    )


def _world(actors: dict[str, Account | None]) -> World:
    instructor, learner = actors["instructor"], actors["learner"]
    assert instructor and learner
    live, _, lesson = _course(instructor, publish=True)
    draft, _, _ = _course(instructor, publish=False)
    badge = _ok(
        invoke(
            BA,
            "POST",
            "/v1/badges",
            token=instructor.token,
            body={
                "name": "Matrix badge",
                "description": "Finished it.",
                "rule": {"type": "course_completed", "course_id": live["id"]},
            },
        )
    )
    _ok(invoke("progress", "POST", f"/v1/courses/{live['id']}/enroll", token=learner.token))
    _ok(
        invoke("progress", "POST", f"/v1/lessons/{lesson['id']}/complete", token=learner.token), 200
    )
    mine = _ok(invoke(BA, "GET", "/v1/me/badges", token=learner.token), 200)["items"]
    award = next(m for m in mine if m["badge"]["id"] == badge["id"])
    return World(
        open_challenge=_challenge(instructor, live["id"]),
        draft_challenge=_challenge(instructor, draft["id"]),
        badge=badge,
        assertion={"id": award["assertion_id"]},
    )


def _fingerprint(world: World, actors: dict[str, Account | None]) -> Any:
    owner = actors["instructor"]
    assert owner is not None

    def read(function: str, path: str, token: str | None) -> tuple[int, Any]:
        reply = invoke(function, "GET", path, token=token)
        return reply.status, reply.body

    return [
        read(CH, f"/v1/challenges/{world.open_challenge['id']}/leaderboard", owner.token),
        read(CH, f"/v1/challenges/{world.draft_challenge['id']}/leaderboard", owner.token),
        read(BA, f"/v1/badges/assertions/{world.assertion['id']}", None),
    ]


SEES_DRAFT = (200, 404, 404, 404, 200, 401)
EVERYONE = (200, 200, 200, 200, 200, 200)
CASES: dict[str, RoleCase] = {
    "read open challenge": RoleCase(
        CH, "GET", "/v1/challenges/{open_challenge}", (200, 200, 200, 200, 200, 401)
    ),
    "read draft challenge": RoleCase(CH, "GET", "/v1/challenges/{draft_challenge}", SEES_DRAFT),
    "join open challenge": RoleCase(
        CH, "POST", "/v1/challenges/{open_challenge}/join", (201, 201, 201, 201, 201, 401)
    ),
    "join draft challenge": RoleCase(
        CH, "POST", "/v1/challenges/{draft_challenge}/join", (201, 404, 404, 404, 201, 401)
    ),
    "open challenge board": RoleCase(
        CH, "GET", "/v1/challenges/{open_challenge}/leaderboard", (200, 200, 200, 200, 200, 401)
    ),
    "draft challenge board": RoleCase(
        CH, "GET", "/v1/challenges/{draft_challenge}/leaderboard", SEES_DRAFT
    ),
    # Public: anyone the learner shows it to checks it.
    "read credential": RoleCase(BA, "GET", "/v1/badges/assertions/{assertion}", EVERYONE),
    "read achievement": RoleCase(BA, "GET", "/v1/badges/{badge}", EVERYONE),
    # The badge's author or an admin revokes; the learner holding it cannot.
    "revoke credential": RoleCase(
        BA, "DELETE", "/v1/badges/assertions/{assertion}", (204, 403, 403, 403, 204, 401)
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_challenge_and_badge_routes_answer_each_caller_as_the_contract_says(name, actors):
    role_matrix.check(
        CASES[name],
        ROLES,
        actors,
        lambda: _world(actors),
        lambda world: _fingerprint(world, actors),
    )


def test_a_badge_on_a_course_or_challenge_is_its_owners_to_make(actors):
    world = _world(actors)
    other = actors["other_instructor"]
    assert other is not None
    course_id = world.open_challenge["course_id"]
    for rule in (
        {"type": "course_completed", "course_id": course_id},
        {"type": "challenge_completed", "challenge_id": world.open_challenge["id"]},
    ):
        reply = invoke(
            BA,
            "POST",
            "/v1/badges",
            token=other.token,
            body={"name": "Not mine", "description": "d", "rule": rule},
        )
        assert reply.status == 403, reply.body
    reply = _challenge_on(other, world.draft_challenge["course_id"])
    assert reply.status == 404  # the draft course is hidden from them


def _challenge_on(owner: Account, course_id: str):
    now = datetime.now(UTC)
    return invoke(
        CH,
        "POST",
        "/v1/challenges",
        token=owner.token,
        body={
            "title": "Not mine",
            "difficulty": "easy",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "metric": "xp",
            "course_id": course_id,
            "target": 1,
        },
    )

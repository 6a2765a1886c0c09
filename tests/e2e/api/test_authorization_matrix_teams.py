"""Object-level authorization of the teams and billing routes that take an id, for
every kind of caller: the team's owner, one of its members, a learner and an instructor
outside it, a platform admin (who reads a team but changes nothing) and an anonymous
caller. The refusals run first, in one world, and change nothing; each caller who may
act then acts in a world of its own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.api import role_matrix
from tests.e2e.api.role_matrix import RoleCase
from tests.e2e.conftest import invoke
from tests.factories import Account, new_account

ROLES = ("owner", "member", "other_learner", "other_instructor", "admin", "anonymous")


@pytest.fixture(scope="module")
def actors() -> dict[str, Account | None]:
    return {
        "owner": new_account("student", "Team Owner"),
        "member": new_account("student", "Team Member"),
        "other_learner": new_account("student", "Other Learner"),
        "other_instructor": new_account("instructor", "Other Instructor"),
        "admin": new_account("admin", "Admin"),
        "anonymous": None,
    }


@dataclass
class TeamWorld:
    team: dict[str, Any]
    member: dict[str, Any]  # the member's user id


def _world(actors: dict[str, Account | None]) -> TeamWorld:
    from lectern.db.engine import get_sessionmaker
    from lectern.teams.models import TeamMember

    owner, member = actors["owner"], actors["member"]
    assert owner and member
    reply = invoke("teams", "POST", "/v1/teams", token=owner.token, body={"name": "Matrix team"})
    assert reply.status == 201, reply.body
    # The member joins as an accepted invitation leaves them (the invitation path has
    # tests of its own).
    with get_sessionmaker()() as db:
        db.add(TeamMember(team_id=uuid.UUID(reply.body["id"]), user_id=member.id, role="member"))
        db.commit()
    return TeamWorld(team=reply.body, member={"id": str(member.id)})


def _fingerprint(world: TeamWorld, actors: dict[str, Account | None]) -> Any:
    owner = actors["owner"]
    assert owner is not None
    team = invoke("teams", "GET", f"/v1/teams/{world.team['id']}", token=owner.token)
    members = invoke("teams", "GET", f"/v1/teams/{world.team['id']}/members", token=owner.token)
    return [(team.status, team.body), (members.status, members.body)]


T, B = "teams", "billing"
READ = (200, 200, 404, 404, 200, 401)
MANAGE = (200, 403, 404, 404, 403, 401)
FOLLOW = (200, 403, 404, 404, 200, 401)
CASES: dict[str, RoleCase] = {
    "read team": RoleCase(T, "GET", "/v1/teams/{team}", READ),
    "update team": RoleCase(T, "PATCH", "/v1/teams/{team}", MANAGE, {"name": "Renamed"}),
    "list members": RoleCase(T, "GET", "/v1/teams/{team}/members", READ),
    "invite": RoleCase(
        T,
        "POST",
        "/v1/teams/{team}/invitations",
        (201, 403, 404, 404, 403, 401),
        {"email": "matrix-invitee@example.com", "role": "member"},
    ),
    "change role": RoleCase(
        T, "PATCH", "/v1/teams/{team}/members/{member}", MANAGE, {"role": "admin"}
    ),
    # A member may remove themselves (leave); a platform admin changes nothing.
    "remove member": RoleCase(
        T, "DELETE", "/v1/teams/{team}/members/{member}", (204, 204, 404, 404, 403, 401)
    ),
    "team progress": RoleCase(T, "GET", "/v1/teams/{team}/progress", FOLLOW),
    "team certificates": RoleCase(T, "GET", "/v1/teams/{team}/certificates", FOLLOW),
    "list subscriptions": RoleCase(
        B, "GET", "/v1/admin/subscriptions", (403, 403, 403, 403, 200, 401)
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_team_routes_answer_each_caller_as_the_contract_says(name, actors):
    role_matrix.check(
        CASES[name],
        ROLES,
        actors,
        lambda: _world(actors),
        lambda world: _fingerprint(world, actors),
    )

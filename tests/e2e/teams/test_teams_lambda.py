"""Teams through their function as API Gateway sends them: an invitation mailed by the
relay and accepted while signed in (POST), 409 past the seats, leaving."""

from __future__ import annotations

import re

import pytest

from lectern.config import get_settings
from tests.e2e.conftest import invoke
from tests.factories import new_account


def test_invite_accept_seats_and_leave(stack, monkeypatch: pytest.MonkeyPatch):
    from lectern.core import relay

    monkeypatch.setitem(get_settings().billing.team_seats, "free", 2)
    owner, ann, bob = new_account(), new_account(), new_account()
    team = invoke("teams", "POST", "/v1/teams", token=owner.token, body={"name": "Readers"})
    assert team.status == 201 and team.body["my_role"] == "owner"
    path = f"/v1/teams/{team.body['id']}"
    sent = invoke(
        "teams",
        "POST",
        f"{path}/invitations",
        token=owner.token,
        body={"email": ann.user.email, "role": "admin"},
    )
    assert sent.status == 201, sent.body
    full = invoke(
        "teams", "POST", f"{path}/invitations", token=owner.token, body={"email": bob.user.email}
    )
    assert full.status == 409 and full.headers["content-type"] == "application/problem+json"
    relay.drain("team_mail")
    [mail] = stack.sent_mail(ann.user.email)
    token = re.search(r"token=([A-Za-z0-9_\-]+)", mail.text).group(1)
    # Signed in only; then once.
    accept = {"token": token}
    assert invoke("teams", "POST", "/v1/team-invitations/accept", body=accept).status == 401
    joined = invoke("teams", "POST", "/v1/team-invitations/accept", token=ann.token, body=accept)
    assert joined.status == 200 and joined.body["role"] == "admin"
    again = invoke("teams", "POST", "/v1/team-invitations/accept", token=ann.token, body=accept)
    assert again.status == 401
    mine = invoke("teams", "GET", "/v1/me/teams", token=ann.token).body["items"]
    assert [(t["id"], t["my_role"], t["member_count"]) for t in mine] == [
        (team.body["id"], "admin", 2)
    ]
    members = invoke("teams", "GET", f"{path}/members", token=ann.token).body["items"]
    assert all("email" not in m["user"] or m["user"]["email"] is None for m in members)
    assert invoke("teams", "DELETE", f"{path}/members/{owner.id}", token=owner.token).status == 409
    assert invoke("teams", "DELETE", f"{path}/members/{ann.id}", token=ann.token).status == 204
    assert invoke("teams", "GET", path, token=ann.token).status == 404

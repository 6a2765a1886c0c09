"""Polar's webhooks through the billing function as API Gateway sends them, and a team
subscription reaching every member's AI quota on their very next request."""

from __future__ import annotations

import uuid

import pytest

from lectern.config import get_settings
from local.billing import signed, subscription_event
from tests.e2e.ai.test_ai_lambda import _notes
from tests.e2e.conftest import invoke
from tests.factories import new_account


def _post(payload, **kwargs):
    body, headers = signed(payload, **kwargs)
    return invoke(
        "billing", "POST", "/v1/billing/webhooks/polar", raw_body=body.decode(), headers=headers
    )


def test_a_delivery_is_202_then_a_replay_changes_nothing_and_a_bad_signature_is_401():
    ann = new_account()
    sid = f"sub_{uuid.uuid4().hex}"
    payload = subscription_event("subscription.active", subscription_id=sid, user_id=ann.id)
    first = _post(payload, webhook_id=f"msg_{sid}")
    assert first.status == 202, first.body
    assert (first.body["duplicate"], first.body["applied"]) == (False, True)
    again = _post(payload, webhook_id=f"msg_{sid}")
    assert again.status == 202 and again.body["duplicate"] is True
    body, headers = signed(payload)
    headers["webhook-signature"] = "v1,bm90IGEgc2lnbmF0dXJl"
    refused = invoke(
        "billing", "POST", "/v1/billing/webhooks/polar", raw_body=body.decode(), headers=headers
    )
    assert refused.status == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert invoke("billing", "POST", "/v1/billing/webhooks/polar", raw_body="{}").status == 401
    mine = invoke("billing", "GET", "/v1/me/subscription", token=ann.token)
    assert mine.status == 200
    assert (mine.body["plan"], mine.body["source"], mine.body["status"]) == (
        "pro",
        "individual",
        "active",
    )


def test_a_team_subscription_reaches_every_members_quota_on_their_next_request(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setitem(get_settings().ai.monthly_requests, "free", 1)
    owner, ann, bob = new_account(), new_account(), new_account()
    team = invoke("teams", "POST", "/v1/teams", token=owner.token, body={"name": "Paid"})
    assert team.status == 201
    from lectern.db.engine import get_sessionmaker
    from lectern.teams.models import TeamMember

    with get_sessionmaker()() as db:
        for member in (ann, bob):
            db.add(TeamMember(team_id=uuid.UUID(team.body["id"]), user_id=member.id, role="member"))
        db.commit()
    word = f"w{uuid.uuid4().hex[:10]}"
    _notes(ann, [f"{word} The thyroid gland makes thyroxine."])
    ask = {"question": f"{word} What does the thyroid make?"}
    assert invoke("ai", "POST", "/v1/ai/ask", body=ask, token=ann.token).status == 200
    assert invoke("ai", "POST", "/v1/ai/ask", body=ask, token=ann.token).status == 429

    payload = subscription_event(
        "subscription.active",
        subscription_id=f"sub_{uuid.uuid4().hex}",
        user_id=owner.id,
        team_id=team.body["id"],
        seats=20,
    )
    assert _post(payload).status == 202
    # The very next request of each member sees the team's plan.
    assert invoke("ai", "POST", "/v1/ai/ask", body=ask, token=ann.token).status == 200
    pro = get_settings().ai.monthly_requests["pro"]
    for member in (owner, ann, bob):
        usage = invoke("ai", "GET", "/v1/me/ai-usage", token=member.token)
        assert usage.body["limit"] == pro
        mine = invoke("billing", "GET", "/v1/me/subscription", token=member.token).body
        assert (mine["plan"], mine["source"], mine["team_id"]) == ("pro", "team", team.body["id"])
    seen = invoke("teams", "GET", f"/v1/teams/{team.body['id']}", token=bob.token).body
    assert (seen["plan"], seen["seats"], seen["member_count"]) == ("pro", 20, 3)

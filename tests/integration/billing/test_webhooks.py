"""Polar's webhooks through the billing service: verified (Standard Webhooks), applied
once per webhook-id, newest state kept per subscription; the plan reaches the AI quota."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from local.billing import signed, subscription_event
from tests.factories import make_account


def _deliver(db, payload, **kwargs):
    from lectern.billing.service import handle_polar

    body, headers = signed(payload, **kwargs)
    return handle_polar(db, body, headers)


def _sub_id() -> str:
    return f"sub_{uuid.uuid4().hex}"


def _state(db, subscription_id):
    from lectern.billing.models import Subscription

    db.expire_all()
    row = db.scalar(
        select(Subscription).where(Subscription.provider_subscription_id == subscription_id)
    )
    return None if row is None else (row.status, row.plan, row.event_type, row.event_at)


def _deliveries(db, webhook_id=None, subscription_id=None) -> int:
    from lectern.billing.models import WebhookDelivery

    stmt = select(func.count()).select_from(WebhookDelivery)
    if webhook_id:
        stmt = stmt.where(WebhookDelivery.webhook_id == webhook_id)
    if subscription_id:
        stmt = stmt.where(WebhookDelivery.provider_subscription_id == subscription_id)
    return int(db.scalar(stmt) or 0)


def _limit(db, user_id) -> int:
    from lectern.ai.usage import monthly_limit

    return monthly_limit(db, user_id)


def _pro() -> int:
    from lectern.config import get_settings

    return get_settings().ai.monthly_requests["pro"]


def _free() -> int:
    from lectern.config import get_settings

    return get_settings().ai.monthly_requests["free"]


def test_a_signed_delivery_applies_and_the_plan_reaches_the_quota(db):
    from lectern.billing.service import my_subscription

    ann = make_account(db)
    sid = _sub_id()
    assert _limit(db, ann.id) == _free()
    out = _deliver(
        db, subscription_event("subscription.active", subscription_id=sid, user_id=ann.id)
    )
    assert (out.duplicate, out.applied) == (False, True)
    assert _state(db, sid)[:2] == ("active", "pro")
    assert _limit(db, ann.id) == _pro()
    mine = my_subscription(db, ann.principal)
    assert (mine.plan, mine.status, mine.source) == ("pro", "active", "individual")
    assert mine.current_period_end is not None and mine.ai_monthly_requests == _pro()


@pytest.mark.parametrize(
    "tamper",
    ["signature", "secret", "body", "missing header", "garbage signature"],
)
def test_a_bad_signature_is_refused_and_changes_nothing(db, tamper):
    from lectern.billing.service import handle_polar
    from lectern.errors import Unauthorized

    ann = make_account(db)
    sid = _sub_id()
    payload = subscription_event("subscription.active", subscription_id=sid, user_id=ann.id)
    if tamper == "secret":
        body, headers = signed(
            payload, secret="whsec_" + "b3RoZXItc2VjcmV0LW9mLWFub3RoZXItc2VuZGVy"
        )
    else:
        body, headers = signed(payload)
    if tamper == "signature":
        headers["webhook-signature"] = "v1," + "A" * 43 + "="
    elif tamper == "body":
        body = body.replace(b'"pro"', b'"max"')
    elif tamper == "missing header":
        del headers["webhook-signature"]
    elif tamper == "garbage signature":
        headers["webhook-signature"] = "no-comma-here"
    with pytest.raises(Unauthorized):
        handle_polar(db, body, headers)
    db.rollback()
    assert _state(db, sid) is None
    assert _deliveries(db, webhook_id=headers["webhook-id"]) == 0
    assert _limit(db, ann.id) == _free()


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_timestamp_over_5_minutes_off_is_refused_and_changes_nothing(db, minutes):
    from lectern.errors import Unauthorized

    ann = make_account(db)
    sid = _sub_id()
    payload = subscription_event("subscription.active", subscription_id=sid, user_id=ann.id)
    at = datetime.now(UTC) + timedelta(minutes=minutes)
    with pytest.raises(Unauthorized):
        _deliver(db, payload, at=at)
    db.rollback()
    assert _state(db, sid) is None
    assert _limit(db, ann.id) == _free()


def test_a_replayed_webhook_id_changes_nothing(db):
    ann = make_account(db)
    sid = _sub_id()
    now = datetime.now(UTC)
    first = subscription_event("subscription.active", subscription_id=sid, user_id=ann.id, at=now)
    assert _deliver(db, first, webhook_id="msg_replayed_" + sid).applied
    before = _state(db, sid)
    # The same id again, even carrying a newer (different) event: nothing changes.
    later = subscription_event(
        "subscription.revoked",
        subscription_id=sid,
        user_id=ann.id,
        at=now + timedelta(minutes=1),
        period_days=0,
    )
    out = _deliver(db, later, webhook_id="msg_replayed_" + sid)
    assert (out.duplicate, out.applied) == (True, False)
    assert _state(db, sid) == before
    assert _deliveries(db, webhook_id="msg_replayed_" + sid) == 1
    assert _limit(db, ann.id) == _pro()


def test_an_older_event_after_a_newer_one_changes_nothing(db):
    ann = make_account(db)
    sid = _sub_id()
    now = datetime.now(UTC)
    # Revoked with its period over: free at once.
    newer = subscription_event(
        "subscription.revoked", subscription_id=sid, user_id=ann.id, at=now, period_days=0
    )
    older = subscription_event(
        "subscription.active", subscription_id=sid, user_id=ann.id, at=now - timedelta(minutes=3)
    )
    assert _deliver(db, newer).applied
    before = _state(db, sid)
    out = _deliver(db, older)
    assert (out.duplicate, out.applied) == (False, False)
    assert _state(db, sid) == before
    assert before[0] == "canceled"
    assert _limit(db, ann.id) == _free()


def test_twenty_concurrent_deliveries_of_one_event_apply_it_once(db, stack):
    from lectern.billing.service import handle_polar
    from lectern.db.engine import get_sessionmaker

    ann = make_account(db)
    sid = _sub_id()
    body, headers = signed(
        subscription_event("subscription.active", subscription_id=sid, user_id=ann.id)
    )
    barrier = threading.Barrier(20)
    outcomes: list[tuple[bool, bool]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            with get_sessionmaker()() as session:
                barrier.wait()
                out = handle_polar(session, body, headers)
                outcomes.append((out.duplicate, out.applied))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(outcomes) == [(False, True)] + [(True, False)] * 19
    assert _deliveries(db, webhook_id=headers["webhook-id"]) == 1
    assert _state(db, sid)[0] == "active"


def test_a_revoked_or_lapsed_subscription_falls_back_to_free_at_the_period_end(db):
    from lectern.billing.entitlements import user_plan

    ann = make_account(db)
    sid = _sub_id()
    now = datetime.now(UTC)
    _deliver(
        db,
        subscription_event(
            "subscription.active",
            subscription_id=sid,
            user_id=ann.id,
            at=now - timedelta(seconds=30),
        ),
    )
    # Revoked, but paid until the period's end (29 days ahead): still pro until then.
    _deliver(
        db, subscription_event("subscription.revoked", subscription_id=sid, user_id=ann.id, at=now)
    )
    assert _state(db, sid)[0] == "canceled"
    assert user_plan(db, ann.id).plan == "pro"
    assert user_plan(db, ann.id, now + timedelta(days=30)).plan == "free"
    # An active one whose renewal never came: free once the grace after its end passed.
    bob = make_account(db)
    other = _sub_id()
    _deliver(db, subscription_event("subscription.active", subscription_id=other, user_id=bob.id))
    assert user_plan(db, bob.id, now + timedelta(days=29, minutes=30)).plan == "pro"
    assert user_plan(db, bob.id, now + timedelta(days=31)).plan == "free"


def test_a_delivery_naming_nobody_of_ours_is_acknowledged_and_applies_nothing(db):
    sid = _sub_id()
    out = _deliver(
        db, subscription_event("subscription.active", subscription_id=sid, user_id=uuid.uuid4())
    )
    assert (out.duplicate, out.applied) == (False, False)
    assert _state(db, sid) is None
    assert _deliveries(db, subscription_id=sid) == 1


def test_other_event_types_are_acknowledged_once(db):
    payload = {
        "type": "order.created",
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {"id": "ord_1"},
    }
    out = _deliver(db, payload, webhook_id="msg_order_" + uuid.uuid4().hex)
    assert (out.duplicate, out.applied) == (False, False)


def test_a_signed_but_malformed_event_is_a_422_naming_the_field(db):
    from lectern.errors import InvalidField

    ann = make_account(db)
    payload = subscription_event("subscription.active", subscription_id=_sub_id(), user_id=ann.id)
    payload["data"]["status"] = "sleeping"
    with pytest.raises(InvalidField) as refused:
        _deliver(db, payload)
    assert refused.value.field == "body.data.status"


def test_a_team_subscription_reaches_every_members_quota_and_sets_the_seats(db):
    from lectern.teams.models import TeamMember
    from lectern.teams.schemas import TeamIn
    from lectern.teams.service import create_team, get_team

    owner, ann, bob = make_account(db), make_account(db), make_account(db)
    team = create_team(db, owner.principal, TeamIn(name="Paid team"))
    for member in (ann, bob):
        db.add(TeamMember(team_id=team.id, user_id=member.id, role="member"))
    db.commit()
    assert [_limit(db, a.id) for a in (owner, ann, bob)] == [_free()] * 3
    assert get_team(db, owner.principal, team.id).seats == 5
    sid = _sub_id()
    out = _deliver(
        db,
        subscription_event(
            "subscription.active", subscription_id=sid, user_id=owner.id, team_id=team.id, seats=12
        ),
    )
    assert out.applied
    assert [_limit(db, a.id) for a in (owner, ann, bob)] == [_pro()] * 3
    seen = get_team(db, ann.principal, team.id)
    assert (seen.plan, seen.seats) == ("pro", 12)


@pytest.mark.contract
def test_polar_contract_a_plain_dashboard_secret_verifies_as_polars_sdk_encodes_it(
    db, settings_env
):
    """Polar shows a plain secret; its SDKs give Standard Webhooks its base64. A payload of
    Polar's shape signed that way verifies and applies."""
    import base64

    from tests.conftest import reset_clients

    plain = "polar_whs_" + uuid.uuid4().hex
    settings_env.setenv("LECTERN_BILLING_POLAR_WEBHOOK_SECRET", plain)
    reset_clients()
    ann = make_account(db)
    sid = _sub_id()
    payload = subscription_event("subscription.created", subscription_id=sid, user_id=ann.id)
    encoded = "whsec_" + base64.b64encode(plain.encode()).decode()
    assert _deliver(db, payload, secret=encoded).applied
    assert _state(db, sid)[:2] == ("active", "pro")


@pytest.mark.contract
def test_polar_contract_the_fake_has_polars_subscription_payload_shape():
    """The fields Polar's Subscription schema has and Lectern reads, as Polar names them."""
    from lectern.billing.schemas import PolarEvent, PolarSubscription

    payload = subscription_event(
        "subscription.updated",
        subscription_id="sub_1",
        user_id=uuid.uuid4(),
        team_id=uuid.uuid4(),
        seats=3,
    )
    event = PolarEvent.model_validate(payload)
    sub = PolarSubscription.model_validate(event.data)
    assert set(payload) == {"type", "timestamp", "data"}
    for name in (
        "id",
        "status",
        "amount",
        "currency",
        "recurring_interval",
        "current_period_start",
        "current_period_end",
        "cancel_at_period_end",
        "customer",
        "product",
        "metadata",
    ):
        assert name in payload["data"], name
    assert sub.customer.external_id and sub.product.metadata["plan"] == "pro"
    assert sub.metadata["seats"] == 3 and "team_id" in sub.metadata

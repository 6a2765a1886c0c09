"""Teams through their services: invitations by mail (single-use, hashed, expiring,
for the invited address), seats, roles and the last owner, the managers' view of
progress and certificates, the mail limits, and the members' personal data."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import make_account, make_course


def _team(db, owner, name="Team"):
    from lectern.teams.schemas import TeamIn
    from lectern.teams.service import create_team

    return create_team(db, owner.principal, TeamIn(name=name))


def _invite(db, manager, team, email, role="member", *, ip="203.0.113.9"):
    from lectern.teams.schemas import InvitationIn
    from lectern.teams.service import invite

    return invite(db, manager.principal, team.id, InvitationIn(email=email, role=role), ip=ip)


def _mailed_token(stack, email) -> str:
    from lectern.core import relay

    relay.drain("team_mail")
    [mail] = stack.sent_mail(email)
    found = re.search(r"token=([A-Za-z0-9_\-%]+)", mail.text)
    assert found, mail.text
    return found.group(1)


def _accept(db, account, token):
    from lectern.teams.service import accept

    return accept(db, account.principal, token)


def _join(db, stack, owner, team, account, *, role="member"):
    _invite(db, owner, team, account.user.email, role=role)
    return _accept(db, account, _mailed_token(stack, account.user.email))


def test_an_invitation_is_mailed_after_the_commit_and_joins_the_invited_account_once(db, stack):
    from lectern.errors import Unauthorized
    from lectern.notifications.models import Notification
    from lectern.teams.models import TeamInvitation
    from lectern.teams.service import get_team

    owner, ann = make_account(db), make_account(db)
    team = _team(db, owner, "Biology club")
    sent = _invite(db, owner, team, ann.user.email.upper())
    assert sent.email == ann.user.email
    assert sent.expires_at - sent.created_at == timedelta(days=7)
    assert stack.sent_mail(ann.user.email) == []  # the relay mails it, after the commit
    # The invited account hears of it in the app too.
    assert (
        db.scalar(
            select(Notification.title).where(
                Notification.user_id == ann.id, Notification.type == "team_invitation"
            )
        )
        == "You were invited to join the team Biology club"
    )
    token = _mailed_token(stack, ann.user.email)
    row = db.get(TeamInvitation, sent.id)
    db.refresh(row)
    # Only the hash is kept.
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    member = _accept(db, ann, token)
    assert (member.team_id, member.user.id, member.role) == (team.id, ann.id, "member")
    assert get_team(db, ann.principal, team.id).member_count == 2
    with pytest.raises(Unauthorized):
        _accept(db, ann, token)


def test_a_token_is_refused_when_expired_unknown_or_for_another_address(db, stack):
    from lectern.errors import Forbidden, NotFound, Unauthorized
    from lectern.teams.models import TeamInvitation
    from lectern.teams.service import get_team

    owner, ann, eve = make_account(db), make_account(db), make_account(db)
    team = _team(db, owner)
    sent = _invite(db, owner, team, ann.user.email)
    token = _mailed_token(stack, ann.user.email)
    with pytest.raises(Unauthorized):
        _accept(db, ann, "x" * 43)
    # Someone else holding the link: refused, and the link still works for Ann.
    with pytest.raises(Forbidden):
        _accept(db, eve, token)
    with pytest.raises(NotFound):
        get_team(db, eve.principal, team.id)
    db.execute(
        update(TeamInvitation)
        .where(TeamInvitation.id == sent.id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.commit()
    with pytest.raises(Unauthorized):
        _accept(db, ann, token)
    with pytest.raises(NotFound):
        get_team(db, ann.principal, team.id)


def test_an_invitation_beyond_the_seats_is_a_409_and_writes_nothing(db, stack, monkeypatch):
    from lectern.config import get_settings
    from lectern.errors import Conflict
    from lectern.teams.models import TeamInvitation

    monkeypatch.setitem(get_settings().billing.team_seats, "free", 3)
    owner, ann, bob, cid = make_account(db), make_account(db), make_account(db), make_account(db)
    team = _team(db, owner)
    _join(db, stack, owner, team, ann)
    _invite(db, owner, team, bob.user.email)  # an open invitation holds a seat
    with pytest.raises(Conflict):
        _invite(db, owner, team, cid.user.email)
    assert (
        db.scalar(select(TeamInvitation.id).where(TeamInvitation.email == cid.user.email)) is None
    )
    # Re-inviting an address replaces its open invitation: no second seat.
    _invite(db, owner, team, bob.user.email)


def test_the_last_owner_can_neither_leave_nor_be_demoted(db, stack):
    from lectern.errors import Conflict, Forbidden
    from lectern.teams.schemas import MemberRoleIn
    from lectern.teams.service import change_role, list_members, remove_member

    owner, admin, ann = make_account(db), make_account(db), make_account(db)
    team = _team(db, owner)
    _join(db, stack, owner, team, admin, role="admin")
    _join(db, stack, owner, team, ann)
    with pytest.raises(Conflict):
        change_role(db, owner.principal, team.id, owner.id, MemberRoleIn(role="admin"))
    with pytest.raises(Conflict):
        remove_member(db, owner.principal, team.id, owner.id)
    # Owners are made and unmade by owners only.
    with pytest.raises(Forbidden):
        change_role(db, admin.principal, team.id, owner.id, MemberRoleIn(role="member"))
    with pytest.raises(Forbidden):
        change_role(db, admin.principal, team.id, ann.id, MemberRoleIn(role="owner"))
    with pytest.raises(Forbidden):
        change_role(db, ann.principal, team.id, admin.id, MemberRoleIn(role="member"))
    # An admin removes a member; a member leaves.
    assert (
        change_role(db, admin.principal, team.id, ann.id, MemberRoleIn(role="admin")).role
        == "admin"
    )
    change_role(db, owner.principal, team.id, admin.id, MemberRoleIn(role="owner"))
    remove_member(db, owner.principal, team.id, owner.id)  # another owner is left
    remove_member(db, ann.principal, team.id, ann.id)
    roles = {
        m.user.id: m.role
        for m in list_members(db, admin.principal, team.id, limit=50, cursor=None).items
    }
    assert roles == {admin.id: "owner"}
    with pytest.raises(Conflict):
        remove_member(db, admin.principal, team.id, admin.id)


def test_managers_see_progress_and_certificates_on_the_assigned_courses_by_name(db, stack):
    from lectern.errors import Forbidden, InvalidField
    from lectern.progress.service import complete_lesson, enroll
    from lectern.teams.schemas import TeamSettingsIn, TeamUpdateIn
    from lectern.teams.service import certificates, progress, update_team

    owner, ann, bob = make_account(db), make_account(db), make_account(db)
    instructor, admin = make_account(db, "instructor"), make_account(db, "admin")
    course, lessons = make_course(db, instructor, lessons=1)
    other, _ = make_course(db, instructor, lessons=1)
    draft, _ = make_course(db, instructor, lessons=1, published=False)
    team = _team(db, owner)
    _join(db, stack, owner, team, ann)
    _join(db, stack, owner, team, bob)
    with pytest.raises(InvalidField) as refused:
        update_team(
            db,
            owner.principal,
            team.id,
            TeamUpdateIn(settings=TeamSettingsIn(assigned_course_ids=[course.id, draft.id])),
        )
    assert refused.value.field == "settings.assigned_course_ids.1"
    updated = update_team(
        db,
        owner.principal,
        team.id,
        TeamUpdateIn(settings=TeamSettingsIn(assigned_course_ids=[course.id])),
    )
    assert updated.settings.assigned_course_ids == [course.id]
    enroll(db, ann.principal, course.id)
    complete_lesson(db, ann.principal, lessons[0].id)
    enroll(db, bob.principal, other.id)  # not an assigned course: not shown
    seen = {
        i.user.id: i for i in progress(db, owner.principal, team.id, limit=50, cursor=None).items
    }
    assert set(seen) == {owner.id, ann.id, bob.id}
    [ann_course] = seen[ann.id].courses
    assert (ann_course.course_id, ann_course.progress, ann_course.enrolled) == (
        course.id,
        1.0,
        True,
    )
    assert ann_course.completed_at is not None
    assert seen[bob.id].courses[0].enrolled is False
    assert all(i.user.email is None and i.user.name for i in seen.values())
    [cert] = certificates(db, owner.principal, team.id).items
    assert (cert.user.id, cert.course_id, cert.user.email) == (ann.id, course.id, None)
    # A member does not; a platform admin does, with the addresses.
    with pytest.raises(Forbidden):
        progress(db, ann.principal, team.id, limit=50, cursor=None)
    as_admin = progress(db, admin.principal, team.id, limit=50, cursor=None).items
    assert {i.user.email for i in as_admin} == {a.user.email for a in (owner, ann, bob)}
    assert certificates(db, admin.principal, team.id).items[0].user.email == ann.user.email


def test_invitation_mail_is_limited_per_inviter_and_writes_nothing_past_it(db, stack, monkeypatch):
    from lectern.config import get_settings
    from lectern.errors import RateLimited
    from lectern.teams.models import TeamInvitation

    monkeypatch.setattr(get_settings().teams, "invitations_per_user", 2)
    monkeypatch.setitem(get_settings().billing.team_seats, "free", 10)
    owner = make_account(db)
    team = _team(db, owner)
    for n in range(2):
        _invite(db, owner, team, f"limit-{n}-{owner.id}@example.com")
    with pytest.raises(RateLimited):
        _invite(db, owner, team, f"limit-2-{owner.id}@example.com")
    assert (
        db.scalar(
            select(TeamInvitation.id).where(
                TeamInvitation.email == f"limit-2-{owner.id}@example.com"
            )
        )
        is None
    )


def test_invitation_mail_is_limited_per_source_address(db, stack, monkeypatch):
    from lectern.config import get_settings
    from lectern.errors import RateLimited

    monkeypatch.setattr(get_settings().teams, "invitations_per_ip", 1)
    owner, other = make_account(db), make_account(db)
    ip = f"198.51.100.{owner.id.int % 250}"
    _invite(db, owner, _team(db, owner), f"ip-a-{owner.id}@example.com", ip=ip)
    with pytest.raises(RateLimited):
        _invite(db, other, _team(db, other), f"ip-b-{owner.id}@example.com", ip=ip)


def test_memberships_invitations_and_subscriptions_are_exported_and_erased(db, stack):
    from lectern.billing.models import Subscription
    from lectern.billing.service import handle_polar
    from lectern.identity.service import delete_me, export_me
    from lectern.teams.models import TeamInvitation, TeamMember
    from lectern.teams.service import get_team
    from local.billing import signed, subscription_event

    owner, ann, bob = make_account(db), make_account(db), make_account(db)
    team = _team(db, owner, "Erased owner's team")
    _join(db, stack, owner, team, ann)
    _join(db, stack, owner, team, bob, role="admin")
    other = _team(db, bob, "Bob's")
    _invite(db, bob, other, owner.user.email)
    sid = f"sub_erase_{owner.id}"
    body, headers = signed(
        subscription_event(
            "subscription.active", subscription_id=sid, user_id=owner.id, team_id=team.id
        )
    )
    assert handle_polar(db, body, headers).applied

    learning = export_me(db, owner.principal)["learning"]
    assert [m["team_id"] for m in learning["team_members"]] == [str(team.id)]
    assert [i["team_id"] for i in learning["team_invitations"]] == [str(other.id)]
    assert [s["provider_subscription_id"] for s in learning["subscriptions"]] == [sid]

    delete_me(db, owner.principal)
    db.expire_all()
    assert db.scalar(select(TeamMember).where(TeamMember.user_id == owner.id)) is None
    assert db.scalar(select(TeamInvitation).where(TeamInvitation.invitee_id == owner.id)) is None
    sub = db.scalar(select(Subscription).where(Subscription.provider_subscription_id == sid))
    assert sub.user_id is None and sub.team_id == team.id  # the team keeps its plan
    # The team passed to its admin, who now owns it.
    assert get_team(db, bob.principal, team.id).my_role == "owner"
    assert get_team(db, bob.principal, team.id).plan == "pro"

"""Teams: create, read, change; members and their roles; invitations by mail; the
members' progress and certificates on the assigned courses.

- **Seats** are the team's plan's (``lectern.billing.entitlements.team_plan``): members
  and open invitations together may not exceed them. They are counted under the team's
  row lock, so concurrent invitations cannot overshoot (409 past them).
- **Invitations** are mailed through the outbox relay (topic ``team_mail``), so a
  rolled-back invitation mails nothing; an invitee who has an account also hears of it
  in the app (``team_invitation``). The token is drawn when the mail is sent and kept
  only as its SHA-256; it works once, for 7 days, for the invited address only.
- **The last owner** can neither leave nor be demoted (409): changes of roles and
  removals lock the team's row and count its owners.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.orm import Session

from lectern.billing.entitlements import team_plan
from lectern.catalog import access as catalog
from lectern.config import get_settings
from lectern.core.outbox import relay
from lectern.core.pagination import keyset_rows
from lectern.core.principal import Principal, UserRole
from lectern.errors import Conflict, Forbidden, InvalidField, NotFound, Unauthorized
from lectern.identity.models import Profile, User
from lectern.identity.tokens import hash_token
from lectern.notifications.service import notify
from lectern.progress.models import Certificate, Enrollment
from lectern.teams import access
from lectern.teams.access import OWNERS_ONLY
from lectern.teams.models import Team, TeamCourse, TeamInvitation, TeamMember, TeamRole
from lectern.teams.schemas import (
    CertificateList,
    CourseProgressOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberPage,
    MemberProgressOut,
    MemberRoleIn,
    ProgressPage,
    TeamCertificateOut,
    TeamIn,
    TeamList,
    TeamOut,
    TeamPersonOut,
    TeamSettingsOut,
    TeamUpdateIn,
)
from lectern.teams.throttle import check_invitation

MAIL_TOPIC = "team_mail"
BAD_INVITATION = "The invitation is used, expired or unknown."
LAST_OWNER = "The team's last owner can neither leave nor be demoted: make another owner first."
SEATS_FULL = "The team's seats are taken (members and open invitations)."
NOT_A_MEMBER = "No such member of the team."


def _now() -> datetime:
    return datetime.now(UTC)


# -- reading -------------------------------------------------------------------------------


def _member_counts(db: Session, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not team_ids:
        return {}
    rows = db.execute(
        select(TeamMember.team_id, func.count())
        .where(TeamMember.team_id.in_(team_ids))
        .group_by(TeamMember.team_id)
    )
    return {team_id: n for team_id, n in rows}


def _assigned(db: Session, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if team_ids:
        for team_id, course_id in db.execute(
            select(TeamCourse.team_id, TeamCourse.course_id)
            .where(TeamCourse.team_id.in_(team_ids))
            .order_by(TeamCourse.assigned_at, TeamCourse.course_id)
        ):
            found[team_id].append(course_id)
    return found


def _outs(db: Session, teams: list[tuple[Team, TeamRole | None]]) -> list[TeamOut]:
    ids = [t.id for t, _ in teams]
    counts, assigned = _member_counts(db, ids), _assigned(db, ids)
    outs = []
    for team, role in teams:
        plan = team_plan(db, team.id)
        outs.append(
            TeamOut(
                id=team.id,
                name=team.name,
                description=team.description,
                my_role=role.value if role else None,
                member_count=counts.get(team.id, 0),
                seats=plan.seats or 1,
                plan=plan.plan,
                settings=TeamSettingsOut(assigned_course_ids=assigned.get(team.id, [])),
                created_at=team.created_at,
            )
        )
    return outs


def get_team(db: Session, principal: Principal, team_id: uuid.UUID) -> TeamOut:
    seen = access.for_view(db, principal, team_id)
    return _outs(db, [(seen.team, seen.role)])[0]


def my_teams(db: Session, principal: Principal) -> TeamList:
    rows = db.execute(
        select(Team, TeamMember.role)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == principal.user_id)
        .order_by(TeamMember.joined_at, Team.id)
    ).all()
    return TeamList(items=_outs(db, [(team, TeamRole(role)) for team, role in rows]))


# -- changing the team -----------------------------------------------------------------------


def create_team(db: Session, principal: Principal, data: TeamIn) -> TeamOut:
    team = Team(name=data.name, description=data.description, created_by=principal.user_id)
    db.add(team)
    db.flush()
    db.add(TeamMember(team_id=team.id, user_id=principal.user_id, role=TeamRole.owner.value))
    db.commit()
    db.refresh(team)
    return _outs(db, [(team, TeamRole.owner)])[0]


def _assign(db: Session, principal: Principal, team: Team, course_ids: list[uuid.UUID]) -> None:
    wanted = list(dict.fromkeys(course_ids))
    for index, course_id in enumerate(wanted):
        try:
            catalog.course_for_view(db, principal, course_id)
        except NotFound:
            raise InvalidField(
                f"settings.assigned_course_ids.{index}", "no such course, or not published"
            ) from None
    db.execute(delete(TeamCourse).where(TeamCourse.team_id == team.id))
    if wanted:
        db.execute(insert(TeamCourse), [{"team_id": team.id, "course_id": c} for c in wanted])


def update_team(
    db: Session, principal: Principal, team_id: uuid.UUID, data: TeamUpdateIn
) -> TeamOut:
    seen = access.for_manage(db, principal, team_id, lock=True)
    team = seen.team
    if data.name is not None:
        team.name = data.name
    if "description" in data.model_fields_set:
        team.description = data.description
    if data.settings is not None:
        _assign(db, principal, team, data.settings.assigned_course_ids)
    team.updated_at = func.now()
    db.commit()
    db.refresh(team)
    return _outs(db, [(team, seen.role)])[0]


# -- members -------------------------------------------------------------------------------


def _person(
    user_id: uuid.UUID, name: str | None, email: str | None, *, admin: bool
) -> TeamPersonOut:
    return TeamPersonOut(id=user_id, name=name or "", email=email if admin else None)


def list_members(
    db: Session, principal: Principal, team_id: uuid.UUID, *, limit: int, cursor: str | None
) -> MemberPage:
    access.for_view(db, principal, team_id)
    admin = principal.role == UserRole.admin
    stmt = (
        select(
            TeamMember.joined_at,
            TeamMember.user_id,
            TeamMember.role,
            Profile.display_name,
            User.email,
        )
        .join(Profile, Profile.user_id == TeamMember.user_id)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == team_id)
    )
    rows, next_cursor = keyset_rows(
        db, stmt, TeamMember.joined_at, TeamMember.user_id, limit=limit, cursor=cursor
    )
    return MemberPage(
        items=[
            MemberOut(
                team_id=team_id,
                user=_person(r.user_id, r.display_name, r.email, admin=admin),
                role=r.role,
                joined_at=r.joined_at,
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )


def _member(db: Session, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMember:
    member = db.get(TeamMember, (team_id, user_id), with_for_update=True, populate_existing=True)
    if member is None:
        raise NotFound(NOT_A_MEMBER)
    return member


def _owners(db: Session, team_id: uuid.UUID) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(TeamMember)
            .where(TeamMember.team_id == team_id, TeamMember.role == TeamRole.owner.value)
        )
        or 0
    )


def _member_out(db: Session, member: TeamMember) -> MemberOut:
    name = db.scalar(select(Profile.display_name).where(Profile.user_id == member.user_id))
    return MemberOut(
        team_id=member.team_id,
        user=TeamPersonOut(id=member.user_id, name=name or ""),
        role=member.role,
        joined_at=member.joined_at,
    )


def change_role(
    db: Session, principal: Principal, team_id: uuid.UUID, user_id: uuid.UUID, data: MemberRoleIn
) -> MemberOut:
    # The team's row is the lock every owner count is taken under.
    seen = access.for_manage(db, principal, team_id, lock=True)
    member = _member(db, team_id, user_id)
    wanted = TeamRole(data.role)
    current = TeamRole(member.role)
    touches_owner = TeamRole.owner in (wanted, current)
    if touches_owner and seen.role != TeamRole.owner:
        raise Forbidden(OWNERS_ONLY)
    if current == TeamRole.owner and wanted != TeamRole.owner and _owners(db, team_id) <= 1:
        db.rollback()
        raise Conflict(LAST_OWNER)
    member.role = wanted.value
    db.commit()
    return _member_out(db, member)


def remove_member(
    db: Session, principal: Principal, team_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """A member leaves (their own id), or an owner or admin removes one; an owner is
    removed by an owner only, and the last owner stays."""
    leaving = user_id == principal.user_id
    seen = (
        access.for_view(db, principal, team_id, lock=True)
        if leaving
        else access.for_manage(db, principal, team_id, lock=True)
    )
    if leaving and seen.role is None:
        raise NotFound(NOT_A_MEMBER)
    member = _member(db, team_id, user_id)
    if member.role == TeamRole.owner.value:
        if not leaving and seen.role != TeamRole.owner:
            raise Forbidden(OWNERS_ONLY)
        if _owners(db, team_id) <= 1:
            db.rollback()
            raise Conflict(LAST_OWNER)
    db.delete(member)
    db.commit()


# -- invitations ---------------------------------------------------------------------------


def seats_used(db: Session, team_id: uuid.UUID, now: datetime) -> int:
    members = db.scalar(
        select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team_id)
    )
    open_invitations = db.scalar(
        select(func.count())
        .select_from(TeamInvitation)
        .where(
            TeamInvitation.team_id == team_id,
            TeamInvitation.accepted_at.is_(None),
            TeamInvitation.expires_at > now,
        )
    )
    return int(members or 0) + int(open_invitations or 0)


def invite(
    db: Session,
    principal: Principal,
    team_id: uuid.UUID,
    data: InvitationIn,
    *,
    ip: str | None,
) -> InvitationOut:
    access.for_manage(db, principal, team_id)
    # Counted before anything is written: a refusal (429) writes nothing.
    check_invitation(str(principal.user_id), ip, data.email)
    seen = access.for_manage(db, principal, team_id, lock=True)
    team = seen.team
    now = _now()
    invitee = db.scalar(select(User.id).where(User.email == data.email, User.deleted_at.is_(None)))
    if invitee is not None and access.role_in(db, team_id, invitee) is not None:
        db.rollback()
        raise Conflict("That address belongs to a member of the team already.")
    # A new invitation replaces an open one to the same address (its link stops working).
    db.execute(
        delete(TeamInvitation).where(
            TeamInvitation.team_id == team_id,
            TeamInvitation.email == data.email,
            TeamInvitation.accepted_at.is_(None),
        )
    )
    seats = team_plan(db, team_id, now).seats or 1
    used = seats_used(db, team_id, now)
    if used >= seats:
        db.rollback()
        raise Conflict(f"{SEATS_FULL} {used} of {seats} are.")
    invitation = TeamInvitation(
        team_id=team_id,
        email=data.email,
        role=data.role,
        invitee_id=invitee,
        invited_by=principal.user_id,
        created_at=now,
        expires_at=now + timedelta(days=get_settings().teams.invitation_ttl_days),
    )
    db.add(invitation)
    db.flush()
    relay(db, MAIL_TOPIC, "team_invitation", [invitation.id])
    if invitee is not None:
        notify(
            db,
            [invitee],
            "team_invitation",
            title=f"You were invited to join the team {team.name}",
            body="The invitation mail holds the link that accepts it.",
            link="/teams/invitations",
        )
    db.commit()
    db.refresh(invitation)
    return InvitationOut.model_validate(invitation, from_attributes=True)


def accept(db: Session, principal: Principal, token: str) -> MemberOut:
    """Join the team the token invites to: once, before it expires, signed in with the
    address it was sent to. A refusal consumes nothing."""
    token_hash = hash_token(token)
    found = db.scalar(select(TeamInvitation.team_id).where(TeamInvitation.token_hash == token_hash))
    if found is None:
        raise Unauthorized(BAD_INVITATION)
    # The team's row first, as invitations and role changes take it: seats are counted under it.
    db.get(Team, found, with_for_update=True)
    invitation = db.scalar(
        select(TeamInvitation).where(TeamInvitation.token_hash == token_hash).with_for_update()
    )
    now = _now()
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        db.rollback()
        raise Unauthorized(BAD_INVITATION)
    me = db.get(User, principal.user_id)
    if me is None or me.email != invitation.email:
        db.rollback()
        raise Forbidden("The invitation was sent to another address.")
    member = db.get(TeamMember, (invitation.team_id, principal.user_id))
    if member is None:
        # Its own seat was counted as an open invitation; the seats may have shrunk since.
        members = db.scalar(
            select(func.count())
            .select_from(TeamMember)
            .where(TeamMember.team_id == invitation.team_id)
        )
        seats = team_plan(db, invitation.team_id, now).seats or 1
        if int(members or 0) >= seats:
            db.rollback()
            raise Conflict(SEATS_FULL)
        member = TeamMember(
            team_id=invitation.team_id, user_id=principal.user_id, role=invitation.role
        )
        db.add(member)
    invitation.accepted_at = now
    invitation.invitee_id = principal.user_id
    db.commit()
    db.refresh(member)
    return _member_out(db, member)


# -- progress and certificates ---------------------------------------------------------------


def progress(
    db: Session, principal: Principal, team_id: uuid.UUID, *, limit: int, cursor: str | None
) -> ProgressPage:
    """Each member's progress on the team's assigned courses: one page of members, then
    one query for their enrollments in those courses."""
    access.for_progress(db, principal, team_id)
    admin = principal.role == UserRole.admin
    courses = _assigned(db, [team_id]).get(team_id, [])
    stmt = (
        select(TeamMember.joined_at, TeamMember.user_id, Profile.display_name, User.email)
        .join(Profile, Profile.user_id == TeamMember.user_id)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == team_id)
    )
    rows, next_cursor = keyset_rows(
        db, stmt, TeamMember.joined_at, TeamMember.user_id, limit=limit, cursor=cursor
    )
    users = [r.user_id for r in rows]
    enrolled: dict[tuple[uuid.UUID, uuid.UUID], Any] = {}
    if users and courses:
        for row in db.execute(
            select(
                Enrollment.user_id,
                Enrollment.course_id,
                Enrollment.progress,
                Enrollment.completed_at,
            ).where(Enrollment.user_id.in_(users), Enrollment.course_id.in_(courses))
        ):
            enrolled[(row.user_id, row.course_id)] = row
    items = []
    for r in rows:
        outs = []
        for course_id in courses:
            e = enrolled.get((r.user_id, course_id))
            outs.append(
                CourseProgressOut(
                    course_id=course_id,
                    progress=float(e.progress) if e else 0.0,
                    enrolled=e is not None,
                    completed_at=e.completed_at if e else None,
                )
            )
        items.append(
            MemberProgressOut(
                user=_person(r.user_id, r.display_name, r.email, admin=admin), courses=outs
            )
        )
    return ProgressPage(items=items, next_cursor=next_cursor)


def certificates(db: Session, principal: Principal, team_id: uuid.UUID) -> CertificateList:
    """The members' certificates for the team's assigned courses (one query)."""
    access.for_progress(db, principal, team_id)
    admin = principal.role == UserRole.admin
    rows = db.execute(
        select(Certificate, Profile.display_name, User.email)
        .join(
            TeamMember,
            and_(TeamMember.user_id == Certificate.user_id, TeamMember.team_id == team_id),
        )
        .join(
            TeamCourse,
            and_(TeamCourse.course_id == Certificate.course_id, TeamCourse.team_id == team_id),
        )
        .join(Profile, Profile.user_id == Certificate.user_id)
        .join(User, User.id == Certificate.user_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    return CertificateList(
        items=[
            TeamCertificateOut(
                id=c.id,
                user=_person(c.user_id, name, email, admin=admin),
                course_id=c.course_id,
                course_title=c.course_title,
                code=c.code,
                issued_at=c.issued_at,
            )
            for c, name, email in rows
        ]
    )

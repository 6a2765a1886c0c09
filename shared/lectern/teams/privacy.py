"""A user's teams data in the export, and what erasure does with it.

Memberships are a personal table (exported, deleted). Invitations sent to the user (by
the account they were sent to, or the address) are exported; on erasure those linked to
the account go, the user is taken off the invitations they sent, and a team the user
alone owned passes to its longest-standing admin, else member (or goes, if nobody is
left), so no team is left without an owner.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from lectern.identity.models import User
from lectern.privacy import plain
from lectern.teams.models import Team, TeamInvitation, TeamMember, TeamRole

_ORDER = {TeamRole.admin.value: 0, TeamRole.member.value: 1}


def invitations(db: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    email = db.scalar(select(User.email).where(User.id == user_id))
    rows = db.scalars(
        select(TeamInvitation)
        .where(or_(TeamInvitation.invitee_id == user_id, TeamInvitation.email == email))
        .order_by(TeamInvitation.created_at)
    )
    return [
        {
            "id": str(r.id),
            "team_id": str(r.team_id),
            "email": r.email,
            "role": r.role,
            "created_at": plain(r.created_at),
            "expires_at": plain(r.expires_at),
            "accepted_at": plain(r.accepted_at),
        }
        for r in rows
    ]


def _hand_over(db: Session, user_id: uuid.UUID) -> None:
    owned = db.scalars(
        select(TeamMember.team_id).where(
            TeamMember.user_id == user_id, TeamMember.role == TeamRole.owner.value
        )
    ).all()
    for team_id in owned:
        db.get(Team, team_id, with_for_update=True)
        others = db.scalars(
            select(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id != user_id)
        ).all()
        if any(m.role == TeamRole.owner.value for m in others):
            continue
        if not others:
            db.execute(delete(Team).where(Team.id == team_id))
            continue
        heir = min(others, key=lambda m: (_ORDER[m.role], m.joined_at, m.user_id))
        heir.role = TeamRole.owner.value


def erase(db: Session, user_id: uuid.UUID) -> None:
    _hand_over(db, user_id)
    db.execute(delete(TeamInvitation).where(TeamInvitation.invitee_id == user_id))
    db.execute(
        update(TeamInvitation).where(TeamInvitation.invited_by == user_id).values(invited_by=None)
    )
    db.execute(update(Team).where(Team.created_by == user_id).values(created_by=None))
    db.flush()

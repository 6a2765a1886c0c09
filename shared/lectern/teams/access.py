"""Who may see or change a team.

- its members see it, its members and its roster of roles;
- its owners and admins change it, invite, remove members and change roles, and follow
  the members' progress and certificates on the assigned courses;
- owners alone make or unmake owners and remove an owner; the last owner stays one;
- a platform admin who is not a member reads it (progress with e-mail addresses) but
  changes nothing;
- to anyone else a team does not exist (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.core.principal import Principal, UserRole
from lectern.errors import Forbidden, NotFound
from lectern.teams.models import MANAGERS, Team, TeamMember, TeamRole

TEAM_NOT_FOUND = "No such team."
MANAGERS_ONLY = "Only the team's owners and admins may do this."
OWNERS_ONLY = "Only the team's owners may do this."


@dataclass(frozen=True)
class Seen:
    team: Team
    role: TeamRole | None  # None: a platform admin who is not a member

    @property
    def manages(self) -> bool:
        return self.role in MANAGERS

    @property
    def platform_admin(self) -> bool:
        return self.role is None


def role_in(db: Session, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamRole | None:
    found = db.scalar(
        select(TeamMember.role).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
    )
    return TeamRole(found) if found else None


def for_view(db: Session, principal: Principal, team_id: uuid.UUID, *, lock: bool = False) -> Seen:
    team = db.get(Team, team_id, with_for_update=lock, populate_existing=lock)
    if team is None:
        raise NotFound(TEAM_NOT_FOUND)
    role = role_in(db, team_id, principal.user_id)
    if role is None and principal.role != UserRole.admin:
        raise NotFound(TEAM_NOT_FOUND)
    return Seen(team, role)


def for_manage(
    db: Session, principal: Principal, team_id: uuid.UUID, *, lock: bool = False
) -> Seen:
    """The team, for its owners and admins; the row locked with ``lock`` (what seats
    and the last-owner rule are counted under)."""
    seen = for_view(db, principal, team_id, lock=lock)
    if not seen.manages:
        raise Forbidden(MANAGERS_ONLY)
    return seen


def for_progress(db: Session, principal: Principal, team_id: uuid.UUID) -> Seen:
    """Owners, admins and platform admins follow the members' progress."""
    seen = for_view(db, principal, team_id)
    if not (seen.manages or principal.role == UserRole.admin):
        raise Forbidden(MANAGERS_ONLY)
    return seen

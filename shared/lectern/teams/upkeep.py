"""Invitations expired or accepted more than ``invitation_keep_days`` ago are deleted
(an address nobody linked to an account is kept no longer than that)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.upkeep import Run, TaskResult
from lectern.teams.models import TeamInvitation


def invitations_task(db: Session, run: Run) -> TaskResult:
    cutoff = run.now - timedelta(days=get_settings().teams.invitation_keep_days)
    deleted = db.execute(
        delete(TeamInvitation).where(
            or_(TeamInvitation.expires_at < cutoff, TeamInvitation.accepted_at < cutoff)
        )
    )
    return run.now, {"deleted": int(getattr(deleted, "rowcount", 0) or 0)}

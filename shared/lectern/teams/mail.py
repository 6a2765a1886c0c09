"""The invitation mail, delivered by the outbox relay after the invitation committed.

The token is drawn here, at delivery, and only its SHA-256 is kept (in the delivery's
transaction, which the relay commits right after the send): no raw token is ever at
rest. A crash between the send and that commit leaves the mailed token unknown, and the
relay's retry mails a new one. An invitation accepted, replaced or expired since mails
nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.identity.models import Profile
from lectern.identity.tokens import hash_token, new_token
from lectern.mail.factory import get_mailer
from lectern.teams.models import Team, TeamInvitation


def compose(
    team: Team, inviter: str, role: str, token: str, expires_at: datetime
) -> tuple[str, str]:
    settings = get_settings().teams
    joiner = "&" if "?" in settings.invitation_url else "?"
    link = f"{settings.invitation_url}{joiner}token={quote(token, safe='')}"
    subject = f"{inviter or 'Someone'} invited you to the team {team.name} on Lectern"
    text = (
        f"{inviter or 'A team admin'} invited you to join {team.name} as {role}.\n\n"
        f"Sign in with this address, then accept: {link}\n\n"
        f"The link works once, until {expires_at:%Y-%m-%d %H:%M} UTC.\n"
        "If you did not expect this, ignore this mail.\n"
    )
    return subject, text


def deliver(db: Session, entity_type: str, entity_id: uuid.UUID) -> None:
    """The relay's delivery of one ``team_mail`` row (see ``lectern.core.relay``)."""
    if entity_type != "team_invitation":
        raise ValueError(f"no team mail for entity type {entity_type!r}")
    invitation = db.get(TeamInvitation, entity_id, with_for_update=True)
    now = datetime.now(UTC)
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        return
    team = db.get(Team, invitation.team_id)
    if team is None:
        return
    inviter = (
        db.scalar(select(Profile.display_name).where(Profile.user_id == invitation.invited_by))
        if invitation.invited_by
        else None
    )
    token = new_token()
    invitation.token_hash = hash_token(token)
    invitation.mailed_at = now
    db.flush()
    subject, text = compose(team, inviter or "", invitation.role, token, invitation.expires_at)
    get_mailer().send(invitation.email, subject, text)

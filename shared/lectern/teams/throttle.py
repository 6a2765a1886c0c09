"""Invitation mail's limits: per inviter, per source address, per invited mailbox and
platform-wide (``lectern.core.throttle`` sliding windows)."""

from __future__ import annotations

from lectern.config import get_settings
from lectern.core.throttle import check
from lectern.identity.throttle import HOUR, mailbox
from lectern.identity.tokens import hash_token

# One address is invited by this many teams an hour at most: nobody is mail-bombed
# through invitations from many teams.
INVITATIONS_PER_MAILBOX = 5


def check_invitation(user_id: str, ip: str | None, email: str) -> None:
    teams = get_settings().teams
    check("team-invite-user", user_id, teams.invitations_per_user, HOUR)
    if ip:
        check("team-invite-ip", ip, teams.invitations_per_ip, HOUR)
    # Keys are hashes: addresses never sit in KV key names.
    check("team-invite-mailbox", hash_token(mailbox(email)), INVITATIONS_PER_MAILBOX, HOUR)
    check("team-invite-all", "all", teams.invitations_per_hour, HOUR)

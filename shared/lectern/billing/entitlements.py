"""What a plan entitles to, and which plan a user or a team has now.

A user's plan is the best of: their own ``profiles.plan`` (a plan given by hand), their
individual subscription, and the subscription of every team they belong to. A team's is
its team subscription's. A subscription entitles while it is ``active`` or ``trialing``
(up to its period's end plus the renewal grace, while the renewal's webhook is on its
way), and a ``past_due``, ``canceled`` or ``unpaid`` one until its period ends: a revoked
or lapsed subscription falls back to the free plan at the period's end, not before.

Everything is read per request from the subscriptions as the last webhook left them, so
a webhook's change reaches every member's quota on their next request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.config import get_settings

FREE = "free"
Source = Literal["individual", "team", "none"]

_ENTITLING = (
    "((s.status IN ('active', 'trialing')"
    "  AND (s.current_period_end IS NULL OR s.current_period_end > :grace_cutoff))"
    " OR (s.status IN ('past_due', 'canceled', 'unpaid') AND s.current_period_end > :now))"
)


@dataclass(frozen=True)
class PlanGrant:
    plan: str
    source: Source
    status: str | None = None
    current_period_end: datetime | None = None
    seats: int | None = None
    team_id: uuid.UUID | None = None


def rank(plan: str) -> int:
    """How much a plan gives: its monthly AI requests. A plan the settings do not know
    ranks below every known one (it entitles to nothing)."""
    return get_settings().ai.monthly_requests.get(plan, -1)


def ai_monthly_requests(plan: str) -> int:
    requests = get_settings().ai.monthly_requests
    return requests.get(plan, requests.get(FREE, 0))


def team_seats(plan: str) -> int:
    seats = get_settings().billing.team_seats
    return seats.get(plan, seats.get(FREE, 1))


def _times(now: datetime | None) -> dict[str, datetime]:
    now = now or datetime.now(UTC)
    grace = timedelta(minutes=get_settings().billing.renewal_grace_minutes)
    return {"now": now, "grace_cutoff": now - grace}


def _best(grants: list[PlanGrant]) -> PlanGrant | None:
    known = [g for g in grants if rank(g.plan) >= 0]
    # Ties: the one entitling longest.
    known.sort(
        key=lambda g: (
            rank(g.plan),
            g.current_period_end or datetime.max.replace(tzinfo=UTC),
        ),
        reverse=True,
    )
    return known[0] if known else None


def user_plan(db: Session, user_id: uuid.UUID, now: datetime | None = None) -> PlanGrant:
    """The plan the user has now, and where it comes from (one query)."""
    rows = db.execute(
        text(
            "SELECT s.plan, s.kind, s.status, s.current_period_end, s.seats, s.team_id"  # noqa: S608 - constants
            " FROM subscriptions AS s"
            f" WHERE {_ENTITLING} AND ("
            "  (s.kind = 'individual' AND s.user_id = :user)"
            "  OR (s.kind = 'team' AND s.team_id IN"
            "      (SELECT m.team_id FROM team_members AS m WHERE m.user_id = :user)))"
            " UNION ALL"
            " SELECT p.plan, 'profile', NULL, NULL, NULL, NULL FROM profiles AS p"
            " WHERE p.user_id = :user"
        ),
        {"user": user_id, **_times(now)},
    ).all()
    grants = [
        PlanGrant(
            plan=r.plan,
            source="none" if r.kind == "profile" else r.kind,
            status=r.status,
            current_period_end=r.current_period_end,
            seats=r.seats,
            team_id=r.team_id,
        )
        for r in rows
    ]
    best = _best(grants)
    if best is None:
        return PlanGrant(plan=FREE, source="none")
    return best


def team_plan(db: Session, team_id: uuid.UUID, now: datetime | None = None) -> PlanGrant:
    """The team's plan now, with its seats (the subscription's own, or the plan's)."""
    rows = db.execute(
        text(
            "SELECT s.plan, s.status, s.current_period_end, s.seats FROM subscriptions AS s"  # noqa: S608 - constants
            f" WHERE s.kind = 'team' AND s.team_id = :team AND {_ENTITLING}"
        ),
        {"team": team_id, **_times(now)},
    ).all()
    best = _best(
        [PlanGrant(r.plan, "team", r.status, r.current_period_end, r.seats, team_id) for r in rows]
    )
    if best is None:
        return PlanGrant(plan=FREE, source="none", seats=team_seats(FREE), team_id=team_id)
    return PlanGrant(
        best.plan,
        "team",
        best.status,
        best.current_period_end,
        best.seats or team_seats(best.plan),
        team_id,
    )

"""Badge use cases: create (authors), a learner's awards, the public credential, revoke.

Awards are not made here: the activity hook (``lectern.badges.rules``) makes them as the
activity that meets a rule happens.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lectern.badges import credential
from lectern.badges.models import Badge, BadgeAward, RuleType
from lectern.badges.schemas import AwardList, AwardOut, BadgeIn, BadgeOut, RuleOut
from lectern.catalog import access as catalog_access
from lectern.catalog.models import Course
from lectern.challenges.models import Challenge
from lectern.core.principal import Principal, UserRole
from lectern.errors import Forbidden, InvalidField, NotFound
from lectern.observability import count

BADGE_NOT_FOUND = "No such badge."
ASSERTION_NOT_FOUND = "No such badge credential."
REVOKE_FORBIDDEN = "Only the badge's author or an admin may revoke its awards."


def criteria(badge: Badge, course_title: str | None, challenge_title: str | None) -> str:
    """The rule in words: the credential's criteria narrative."""
    rule = RuleType(badge.rule_type)
    if rule is RuleType.course_completed:
        return (
            f"Complete every lesson of the course {course_title}."
            if course_title
            else ("Complete every lesson of a course.")
        )
    if rule is RuleType.challenge_completed:
        return (
            f"Reach the target of the challenge {challenge_title}."
            if challenge_title
            else "Reach the target of a challenge."
        )
    if rule is RuleType.streak_days:
        return f"Learn on {badge.threshold} days in a row (UTC days)."
    return f"Earn {badge.threshold} XP in all."


def _titles(db: Session, badge: Badge) -> tuple[str | None, str | None]:
    course = db.get(Course, badge.course_id) if badge.course_id else None
    challenge = db.get(Challenge, badge.challenge_id) if badge.challenge_id else None
    return (course.title if course else None, challenge.title if challenge else None)


def _out(db: Session, badge: Badge) -> BadgeOut:
    return BadgeOut(
        id=badge.id,
        name=badge.name,
        description=badge.description,
        image_url=badge.image_url,
        rule=RuleOut(
            type=RuleType(badge.rule_type),
            course_id=badge.course_id,
            challenge_id=badge.challenge_id,
            threshold=badge.threshold,
        ),
        criteria=criteria(badge, *_titles(db, badge)),
        created_at=badge.created_at,
    )


def create(db: Session, principal: Principal, data: BadgeIn) -> BadgeOut:
    """An author's badge. A rule on a course needs the right to change that course; on a
    challenge, to be its author (or an admin)."""
    rule = data.rule
    if rule.course_id is not None:
        catalog_access.course_for_edit(db, principal, rule.course_id)
    if rule.challenge_id is not None:
        challenge = db.get(Challenge, rule.challenge_id)
        if challenge is None:
            raise InvalidField("rule.challenge_id", "no such challenge")
        if principal.role != UserRole.admin and challenge.created_by != principal.user_id:
            raise Forbidden("Only the challenge's author or an admin may badge it.")
    badge = Badge(
        name=data.name,
        description=data.description,
        image_url=str(data.image_url) if data.image_url else None,
        rule_type=rule.type.value,
        course_id=rule.course_id,
        challenge_id=rule.challenge_id,
        threshold=rule.threshold,
        created_by=principal.user_id,
    )
    db.add(badge)
    db.flush()
    db.refresh(badge)
    out = _out(db, badge)
    db.commit()
    count("BadgeCreated")
    return out


def get(db: Session, badge_id: uuid.UUID) -> dict[str, Any]:
    """Public: the badge as an Open Badges ``Achievement`` (what its credentials embed)."""
    badge = db.get(Badge, badge_id)
    if badge is None:
        raise NotFound(BADGE_NOT_FOUND)
    return {"@context": credential.CONTEXTS, **_achievement(db, badge)}


def _achievement(db: Session, badge: Badge) -> dict[str, Any]:
    return credential.achievement(
        badge.id,
        badge.name,
        badge.description,
        criteria(badge, *_titles(db, badge)),
        badge.image_url,
    )


def my_badges(db: Session, principal: Principal) -> AwardList:
    rows = db.execute(
        select(Badge, BadgeAward.id, BadgeAward.awarded_at)
        .join(BadgeAward, BadgeAward.badge_id == Badge.id)
        .where(BadgeAward.user_id == principal.user_id, BadgeAward.revoked_at.is_(None))
        .order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())
    ).all()
    return AwardList(
        items=[
            AwardOut(
                badge=_out(db, badge),
                awarded_at=awarded_at,
                assertion_id=award_id,
                assertion_url=credential.credential_url(award_id),
            )
            for badge, award_id, awarded_at in rows
        ]
    )


def assertion(db: Session, award_id: uuid.UUID) -> dict[str, Any]:
    """Public: the signed credential; unknown or revoked is a 404."""
    row = db.execute(
        select(BadgeAward, Badge)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(BadgeAward.id == award_id, BadgeAward.revoked_at.is_(None))
    ).one_or_none()
    if row is None:
        raise NotFound(ASSERTION_NOT_FOUND)
    award, badge = row
    return credential.open_badge_credential(
        award.id,
        award.awarded_at,
        award.identity_hash,
        award.identity_salt,
        _achievement(db, badge),
    )


def revoke(db: Session, principal: Principal, award_id: uuid.UUID) -> None:
    """The badge's author or an admin revokes an award: its credential answers 404 from
    now on, and the rule does not award it again."""
    row = db.execute(
        select(BadgeAward.id, Badge.created_by)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(BadgeAward.id == award_id, BadgeAward.revoked_at.is_(None))
    ).one_or_none()
    if row is None:
        raise NotFound(ASSERTION_NOT_FOUND)
    if principal.role != UserRole.admin and row.created_by != principal.user_id:
        raise Forbidden(REVOKE_FORBIDDEN)
    db.execute(
        update(BadgeAward).where(BadgeAward.id == award_id).values(revoked_at=datetime.now(UTC))
    )
    db.commit()
    count("BadgeRevoked")

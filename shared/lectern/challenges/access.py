"""Who sees a challenge: everyone signed in, unless it is set on a course the caller
cannot see (an unpublished course of someone else), which makes it a 404 to them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy.orm import Session

from lectern.catalog import access as catalog_access
from lectern.catalog.models import Course
from lectern.challenges.models import Challenge
from lectern.core.principal import Principal, UserRole
from lectern.errors import NotFound

CHALLENGE_NOT_FOUND = "No such challenge."


def visible(principal: Principal) -> ColumnElement[bool]:
    """The list's filter (with ``Course`` outer-joined): the same rule as ``challenge_for_view``."""
    if principal.role == UserRole.admin:
        return true()
    return or_(
        Challenge.course_id.is_(None),
        Course.published_at.is_not(None),
        Course.owner_id == principal.user_id,
    )


def may_see(
    principal: Principal,
    course_id: uuid.UUID | None,
    published_at: datetime | None,
    owner_id: uuid.UUID | None,
) -> bool:
    """``challenge_for_view``'s rule, from columns a query already read."""
    return (
        course_id is None
        or published_at is not None
        or principal.role == UserRole.admin
        or owner_id == principal.user_id
    )


def challenge_for_view(
    db: Session, principal: Principal, challenge_id: uuid.UUID, *, lock: bool = False
) -> Challenge:
    challenge = db.get(Challenge, challenge_id, with_for_update=lock)
    if challenge is None:
        raise NotFound(CHALLENGE_NOT_FOUND)
    if challenge.course_id is not None:
        course = db.get(Course, challenge.course_id)
        if course is None or not catalog_access.can_view(course, principal):
            raise NotFound(CHALLENGE_NOT_FOUND)
    return challenge

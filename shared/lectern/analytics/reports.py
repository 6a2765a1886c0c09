"""Reading the daily rollups for the Postgres adapter of the analytics port.

Both reads are bounded by day and use the rollup tables' keys: the totals their primary
key (day first), the courses ``ix_daily_course_activity_course_id_day``, reached through
the owner's courses (``ix_courses_owner_id_created_at``) when one owner is asked for.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.analytics.models import DailyCourseActivity, DailyEventCount
from lectern.catalog.models import Course


def daily_totals(db: Session, first: date, last: date) -> list[dict[str, Any]]:
    """Per day and event type, all learners, days ``first`` to ``last`` included."""
    rows = db.execute(
        select(
            DailyEventCount.day,
            DailyEventCount.event_type,
            DailyEventCount.events,
            DailyEventCount.users,
        )
        .where(DailyEventCount.day.between(first, last))
        .order_by(DailyEventCount.day, DailyEventCount.event_type)
    )
    return [row._asdict() for row in rows]


def daily_courses(
    db: Session, first: date, last: date, owner_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    """Per day, course and event type; only ``owner_id``'s courses unless None.

    A deleted course's rows are left out: there is no course left to name or own them.
    """
    activity = DailyCourseActivity
    statement = (
        select(
            activity.day,
            activity.course_id,
            Course.title.label("course_title"),
            activity.event_type,
            activity.events,
            activity.users,
        )
        .join(Course, Course.id == activity.course_id)
        .where(activity.day.between(first, last))
        .order_by(activity.day, Course.title, activity.course_id, activity.event_type)
    )
    if owner_id is not None:
        statement = statement.where(Course.owner_id == owner_id)
    return [row._asdict() for row in db.execute(statement)]

"""The courses a user wrote, for the export: they stay when their author leaves."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.catalog.models import Course


def courses_authored(db: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {"id": str(course_id), "title": title}
        for course_id, title in db.execute(
            select(Course.id, Course.title).where(Course.owner_id == user_id)
        )
    ]

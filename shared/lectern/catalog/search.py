"""What a course or lesson looks like to the full-text index, read in one query per
entity type whatever the number of ids.

- course: title; body = description, category, tags; visible by its own publication.
- lesson: title; body = content (markdown); its course's owner and publication.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.catalog.models import Course, Lesson
from lectern.search.port import MAX_BODY, IndexDoc, join_text


def course_entries(db: Session, ids: Sequence[uuid.UUID]) -> list[IndexDoc]:
    rows = db.execute(
        select(
            Course.id,
            Course.title,
            Course.description,
            Course.category,
            Course.tags,
            Course.owner_id,
            Course.published_at,
        ).where(Course.id.in_(ids))
    ).all()
    return [
        IndexDoc(
            type="course",
            id=r.id,
            title=r.title,
            body=join_text(r.description, r.category, " ".join(r.tags or ()))[:MAX_BODY],
            course_id=r.id,
            owner_id=r.owner_id,
            published=r.published_at is not None,
        )
        for r in rows
    ]


def lesson_entries(db: Session, ids: Sequence[uuid.UUID]) -> list[IndexDoc]:
    rows = db.execute(
        select(
            Lesson.id,
            Lesson.title,
            Lesson.content,
            Lesson.course_id,
            Course.owner_id,
            Course.published_at,
        )
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id.in_(ids))
    ).all()
    return [
        IndexDoc(
            type="lesson",
            id=r.id,
            title=r.title,
            body=r.content[:MAX_BODY],
            course_id=r.course_id,
            owner_id=r.owner_id,
            published=r.published_at is not None,
        )
        for r in rows
    ]


def lessons_of_courses(
    db: Session, course_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each course's lesson ids: a course's publication and owner are in its lessons' entries."""
    if not course_ids:
        return {}
    by_course: dict[uuid.UUID, list[uuid.UUID]] = {c: [] for c in course_ids}
    for lesson_id, course_id in db.execute(
        select(Lesson.id, Lesson.course_id).where(Lesson.course_id.in_(course_ids))
    ):
        by_course[course_id].append(lesson_id)
    return by_course


def existing_lessons(db: Session, lesson_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    if not lesson_ids:
        return set()
    return set(db.scalars(select(Lesson.id).where(Lesson.id.in_(lesson_ids))))

"""Index entries built from the database: what a course, lesson or question looks like
to the full-text index, read in one query per entity type whatever the number of ids.

- course: title; body = description, category, tags; visible by its own publication.
- lesson: title; body = content (markdown); its course's owner and publication.
- question: prompt; body = topic, subject, system, explanation; never public
  (``published`` is always false: only its author and admins find it).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.assessment.models import Question
from lectern.catalog.models import Course, Lesson
from lectern.search.port import IndexDoc, Key

# A lesson holds at most 200,000 characters through the API; the cap keeps a row
# written some other way inside what a tsvector or a Typesense document can take.
MAX_BODY = 200_000


def _join(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _courses(db: Session, ids: Sequence[uuid.UUID]) -> list[IndexDoc]:
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
            body=_join(r.description, r.category, " ".join(r.tags or ()))[:MAX_BODY],
            course_id=r.id,
            owner_id=r.owner_id,
            published=r.published_at is not None,
        )
        for r in rows
    ]


def _lessons(db: Session, ids: Sequence[uuid.UUID]) -> list[IndexDoc]:
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


def _questions(db: Session, ids: Sequence[uuid.UUID]) -> list[IndexDoc]:
    rows = db.execute(
        select(
            Question.id,
            Question.prompt,
            Question.topic,
            Question.subject,
            Question.system,
            Question.explanation,
            Question.owner_id,
            Question.course_id,
        ).where(Question.id.in_(ids))
    ).all()
    return [
        IndexDoc(
            type="question",
            id=r.id,
            title=r.prompt,
            body=_join(r.topic, r.subject, r.system, r.explanation)[:MAX_BODY],
            course_id=r.course_id,
            owner_id=r.owner_id,
            published=False,
        )
        for r in rows
    ]


_LOADERS = {"course": _courses, "lesson": _lessons, "question": _questions}


def load(db: Session, keys: Iterable[Key]) -> tuple[list[IndexDoc], list[Key]]:
    """The current entries for these keys, and the keys whose object is gone."""
    wanted: defaultdict[str, set[uuid.UUID]] = defaultdict(set)
    for entity_type, entity_id in keys:
        wanted[entity_type].add(entity_id)
    docs: list[IndexDoc] = []
    gone: list[Key] = []
    for entity_type, ids in wanted.items():
        loader = _LOADERS.get(entity_type)
        if loader is None:
            raise ValueError(f"unknown entity type {entity_type!r}")
        found = loader(db, sorted(ids))
        docs += found
        present = {doc.id for doc in found}
        gone += [(entity_type, i) for i in sorted(ids) if i not in present]
    return docs, gone


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

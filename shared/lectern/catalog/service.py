"""Catalog use cases: courses, their modules and lessons. Plain arguments in, schemas out.

Who may see or change what is decided by ``lectern.catalog.access`` only. Each use case
is one transaction and commits at its end; a change the search index or the embedder
must see adds its outbox rows in that same transaction (``lectern.core.outbox``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.orm import Session, aliased

from lectern.catalog import access
from lectern.catalog.models import Course, Lesson, Module
from lectern.catalog.schemas import (
    MAX_CATEGORY,
    MAX_TAG,
    MAX_TAGS,
    CourseDetailOut,
    CourseIn,
    CourseOut,
    CourseUpdateIn,
    LessonIn,
    LessonOut,
    LessonSummaryOut,
    LessonUpdateIn,
    ModuleIn,
    ModuleOut,
    ModuleOutlineOut,
    ModuleUpdateIn,
    OwnerOut,
)
from lectern.core.outbox import enqueue
from lectern.core.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    encode_keyset,
    keyset_query,
    split_page,
)
from lectern.core.principal import Principal
from lectern.errors import InvalidField
from lectern.identity.models import Profile

# -- output ------------------------------------------------------------------------------


def course_out(course: Course, owner_name: str) -> CourseOut:
    return CourseOut(
        id=course.id,
        owner=OwnerOut(id=course.owner_id, name=owner_name),
        title=course.title,
        description=course.description,
        category=course.category,
        tags=list(course.tags),
        published=course.published_at is not None,
        published_at=course.published_at,
        created_at=course.created_at,
        updated_at=course.updated_at,
    )


def module_out(module: Module) -> ModuleOut:
    return ModuleOut(
        id=module.id,
        course_id=module.course_id,
        title=module.title,
        position=module.position,
        created_at=module.created_at,
        updated_at=module.updated_at,
    )


def lesson_out(lesson: Lesson) -> LessonOut:
    return LessonOut(
        id=lesson.id,
        module_id=lesson.module_id,
        course_id=lesson.course_id,
        title=lesson.title,
        content=lesson.content,
        position=lesson.position,
        duration_minutes=lesson.duration_minutes,
        created_at=lesson.created_at,
        updated_at=lesson.updated_at,
    )


def _owner_name(db: Session, owner_id: uuid.UUID) -> str:
    return db.scalar(select(Profile.display_name).where(Profile.user_id == owner_id)) or ""


def _course_out(db: Session, course: Course) -> CourseOut:
    return course_out(course, _owner_name(db, course.owner_id))


def _apply(target: Any, data: Any) -> bool:
    """Copy the fields the client sent onto ``target``; True if anything changed."""
    changed = False
    for field in data.model_fields_set:
        value = getattr(data, field)
        if getattr(target, field) != value:
            setattr(target, field, value)
            changed = True
    return changed


# -- courses -----------------------------------------------------------------------------


def create_course(db: Session, principal: Principal, data: CourseIn) -> CourseOut:
    course = Course(
        owner_id=principal.user_id,
        title=data.title,
        description=data.description,
        category=data.category,
        tags=data.tags,
    )
    db.add(course)
    db.flush()
    enqueue(db, "course", [course.id])
    db.commit()
    return _course_out(db, course)


def _page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidField("limit", f"between 1 and {MAX_PAGE_SIZE}")
    return limit


def _listing_tags(tags: list[str] | None) -> list[str]:
    wanted = list(dict.fromkeys(t.strip().lower() for t in tags or () if t.strip()))
    if len(wanted) > MAX_TAGS:
        raise InvalidField("tag", f"at most {MAX_TAGS} tags")
    if any(len(t) > MAX_TAG for t in wanted):
        raise InvalidField("tag", f"a tag has at most {MAX_TAG} characters")
    return wanted


def list_courses(
    db: Session,
    principal: Principal | None,
    *,
    category: str | None = None,
    tags: list[str] | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> Page[CourseOut]:
    """Published courses and the caller's own drafts, newest first, in one statement.

    The two sets are separate branches of a UNION ALL, each ordered and limited on its
    own, so each walks its own index (the partial published-listing or category index,
    the owner index) instead of one OR that no index serves; owner names come from a
    join, not one query per course.
    """
    size = _page_size(limit)
    wanted_tags = _listing_tags(tags)
    category = (category or "").strip() or None
    if category is not None and len(category) > MAX_CATEGORY:
        raise InvalidField("category", f"at most {MAX_CATEGORY} characters")

    filters: list[Any] = []
    if category is not None:
        filters.append(Course.category == category)
    if wanted_tags:
        filters.append(Course.tags.contains(wanted_tags))  # tags @> ARRAY[...]: the GIN index

    def branch(*where: Any) -> Select[Course]:
        return keyset_query(
            select(Course).where(*where, *filters),
            Course.created_at,
            Course.id,
            limit=size,
            cursor=cursor,
        )

    branches = [branch(Course.published_at.is_not(None))]
    if principal is not None:
        branches.append(branch(Course.owner_id == principal.user_id, Course.published_at.is_(None)))
    source = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery("listed")
    listed = aliased(Course, source)
    rows = db.execute(
        keyset_query(
            select(listed, Profile.display_name).join(Profile, Profile.user_id == listed.owner_id),
            listed.created_at,
            listed.id,
            limit=size,
            cursor=None,  # each branch is already past it
        )
    ).all()
    page, next_cursor = split_page(
        rows, size, lambda row: encode_keyset(row[0].created_at, row[0].id)
    )
    return Page[CourseOut](
        items=[course_out(course, name) for course, name in page], next_cursor=next_cursor
    )


def _outline(db: Session, course_id: uuid.UUID) -> list[ModuleOutlineOut]:
    """Modules and lesson titles in two queries, whatever the number of modules."""
    modules = db.execute(
        select(Module.id, Module.title, Module.position)
        .where(Module.course_id == course_id)
        .order_by(Module.position, Module.id)
    ).all()
    # No content: an outline must not carry every lesson's markdown.
    lessons = db.execute(
        select(Lesson.id, Lesson.module_id, Lesson.title, Lesson.position, Lesson.duration_minutes)
        .where(Lesson.course_id == course_id)
        .order_by(Lesson.position, Lesson.id)
    ).all()
    by_module: defaultdict[uuid.UUID, list[LessonSummaryOut]] = defaultdict(list)
    for lesson in lessons:
        by_module[lesson.module_id].append(
            LessonSummaryOut(
                id=lesson.id,
                title=lesson.title,
                position=lesson.position,
                duration_minutes=lesson.duration_minutes,
            )
        )
    return [
        ModuleOutlineOut(id=m.id, title=m.title, position=m.position, lessons=by_module[m.id])
        for m in modules
    ]


def get_course(db: Session, principal: Principal | None, course_id: uuid.UUID) -> CourseDetailOut:
    course = access.course_for_view(db, principal, course_id)
    base = _course_out(db, course)
    return CourseDetailOut(**base.model_dump(), modules=_outline(db, course.id))


def update_course(
    db: Session, principal: Principal, course_id: uuid.UUID, data: CourseUpdateIn
) -> CourseOut:
    course = access.course_for_edit(db, principal, course_id)
    if _apply(course, data):
        enqueue(db, "course", [course.id])
    db.commit()
    return _course_out(db, course)


def delete_course(db: Session, principal: Principal, course_id: uuid.UUID) -> None:
    # Only this route reads the question bank: its models (the heaviest module) stay out
    # of the courses function's cold start.
    from lectern.assessment.models import Question

    course = access.course_for_edit(db, principal, course_id)
    # Its lessons and questions leave the index with it: named now, while they exist.
    lesson_ids = list(db.scalars(select(Lesson.id).where(Lesson.course_id == course.id)))
    question_ids = list(db.scalars(select(Question.id).where(Question.course_id == course.id)))
    enqueue(db, "course", [course.id])
    enqueue(db, "lesson", lesson_ids)
    enqueue(db, "question", question_ids)
    # Modules, lessons, questions, enrollments and completions go with it (ON DELETE CASCADE).
    db.delete(course)
    db.commit()


def publish_course(db: Session, principal: Principal, course_id: uuid.UUID) -> CourseOut:
    # Locked, so two concurrent publishes cannot both stamp a date: the first one stays.
    course = access.course_for_edit(db, principal, course_id, lock=True)
    if course.published_at is None:
        course.published_at = func.now()
        # The drain re-sends the course's lessons with it: their visibility follows it.
        enqueue(db, "course", [course.id])
    db.commit()
    return _course_out(db, course)


def unpublish_course(db: Session, principal: Principal, course_id: uuid.UUID) -> CourseOut:
    course = access.course_for_edit(db, principal, course_id, lock=True)
    if course.published_at is not None:
        course.published_at = None
        enqueue(db, "course", [course.id])
    db.commit()
    return _course_out(db, course)


# -- modules -----------------------------------------------------------------------------


def create_module(
    db: Session, principal: Principal, course_id: uuid.UUID, data: ModuleIn
) -> ModuleOut:
    # The course row lock serializes appends, so two new modules never share a position.
    course = access.course_for_edit(db, principal, course_id, lock=True)
    position = data.position
    if position is None:
        position = db.scalar(
            select(func.coalesce(func.max(Module.position) + 1, 0)).where(
                Module.course_id == course.id
            )
        )
    module = Module(course_id=course.id, title=data.title, position=position)
    db.add(module)
    db.commit()
    return module_out(module)


def update_module(
    db: Session, principal: Principal, module_id: uuid.UUID, data: ModuleUpdateIn
) -> ModuleOut:
    module = access.module_for_edit(db, principal, module_id)
    _apply(module, data)
    db.commit()
    return module_out(module)


def delete_module(db: Session, principal: Principal, module_id: uuid.UUID) -> None:
    module = access.module_for_edit(db, principal, module_id)
    lesson_ids = list(db.scalars(select(Lesson.id).where(Lesson.module_id == module.id)))
    enqueue(db, "lesson", lesson_ids)
    db.delete(module)  # its lessons go with it (ON DELETE CASCADE)
    db.commit()


# -- lessons -----------------------------------------------------------------------------


def create_lesson(
    db: Session, principal: Principal, module_id: uuid.UUID, data: LessonIn
) -> LessonOut:
    # The module row lock serializes appends within the module.
    module = access.module_for_edit(db, principal, module_id, lock=True)
    position = data.position
    if position is None:
        position = db.scalar(
            select(func.coalesce(func.max(Lesson.position) + 1, 0)).where(
                Lesson.module_id == module.id
            )
        )
    lesson = Lesson(
        module_id=module.id,
        course_id=module.course_id,
        title=data.title,
        content=data.content,
        position=position,
        duration_minutes=data.duration_minutes,
    )
    db.add(lesson)
    db.flush()
    enqueue(db, "lesson", [lesson.id], ("search", "embed"))
    db.commit()
    return lesson_out(lesson)


def get_lesson(db: Session, principal: Principal | None, lesson_id: uuid.UUID) -> LessonOut:
    lesson, _course = access.lesson_for_view(db, principal, lesson_id)
    return lesson_out(lesson)


def update_lesson(
    db: Session, principal: Principal, lesson_id: uuid.UUID, data: LessonUpdateIn
) -> LessonOut:
    lesson = access.lesson_for_edit(db, principal, lesson_id)
    before = (lesson.title, lesson.content)
    _apply(lesson, data)
    # Only its text is indexed and embedded: a move or a new duration changes neither.
    if (lesson.title, lesson.content) != before:
        enqueue(db, "lesson", [lesson.id], ("search", "embed"))
    db.commit()
    return lesson_out(lesson)


def delete_lesson(db: Session, principal: Principal, lesson_id: uuid.UUID) -> None:
    lesson = access.lesson_for_edit(db, principal, lesson_id)
    enqueue(db, "lesson", [lesson.id])
    db.delete(lesson)  # its chunks go with it (ON DELETE CASCADE)
    db.commit()

"""Flashcards and notes: create, list, read, change and delete the learner's own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.catalog import access as catalog_access
from lectern.core.pagination import Page, keyset_page
from lectern.core.principal import Principal
from lectern.errors import InvalidField
from lectern.study import scheduling
from lectern.study.access import own_item
from lectern.study.models import ItemType, StudyItem
from lectern.study.schemas import ItemIn, ItemOut, ItemUpdateIn, item_out


def schedule_of(item: StudyItem) -> scheduling.Schedule | None:
    if item.state is None or item.due is None:
        return None
    return scheduling.Schedule(
        item.state, item.step, item.stability, item.difficulty, item.due, item.last_reviewed_at
    )


def set_schedule(item: StudyItem, schedule: scheduling.Schedule) -> None:
    item.state = schedule.state
    item.step = schedule.step
    item.stability = schedule.stability
    item.difficulty = schedule.difficulty
    item.due = schedule.due
    item.last_reviewed_at = schedule.last_reviewed_at


def out(item: StudyItem, now: datetime | None = None) -> ItemOut:
    schedule = schedule_of(item)
    now = now or datetime.now(UTC)
    return item_out(item, scheduling.retrievability(schedule, now) if schedule else None)


def _check_fields(
    item_type: ItemType, front: str | None, back: str | None, content: str | None
) -> None:
    if item_type == ItemType.flashcard:
        if content is not None:
            raise InvalidField("content", "a flashcard has a front and a back, not content")
        for name, value in (("front", front), ("back", back)):
            if value is None:
                raise InvalidField(name, f"a flashcard needs a {name}")
    else:
        if front is not None or back is not None:
            raise InvalidField("front" if front is not None else "back", "a note has content only")
        if content is None:
            raise InvalidField("content", "a note needs content")


def _placement(
    db: Session, principal: Principal, course_id: uuid.UUID | None, lesson_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The course an item is tied to: the lesson's when a lesson is named (which the
    caller must be able to read), else a course the caller can see."""
    if lesson_id is not None:
        _lesson, course = catalog_access.lesson_for_view(db, principal, lesson_id)
        if course_id is not None and course_id != course.id:
            raise InvalidField("lesson_id", "is not a lesson of the course named by course_id")
        return course.id
    if course_id is not None:
        catalog_access.course_for_view(db, principal, course_id)
    return course_id


def create_item(db: Session, principal: Principal, data: ItemIn) -> ItemOut:
    _check_fields(data.type, data.front, data.back, data.content)
    course_id = _placement(db, principal, data.course_id, data.lesson_id)
    now = datetime.now(UTC)
    item = StudyItem(
        user_id=principal.user_id,
        type=data.type,
        front=data.front,
        back=data.back,
        content=data.content,
        tags=data.tags,
        course_id=course_id,
        lesson_id=data.lesson_id,
    )
    if data.type == ItemType.flashcard:
        set_schedule(item, scheduling.new_card(now))
    db.add(item)
    db.commit()
    return out(item, now)


def list_items(
    db: Session,
    principal: Principal,
    *,
    item_type: ItemType | None,
    due_before: datetime | None,
    tag: str | None,
    course_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[ItemOut]:
    stmt = select(StudyItem).where(StudyItem.user_id == principal.user_id)
    if item_type is not None:
        stmt = stmt.where(StudyItem.type == item_type)
    if due_before is not None:
        stmt = stmt.where(StudyItem.due < due_before)
    if tag is not None:
        stmt = stmt.where(StudyItem.tags.contains([tag.strip().lower()]))
    if course_id is not None:
        stmt = stmt.where(StudyItem.course_id == course_id)
    now = datetime.now(UTC)
    return keyset_page(
        db,
        stmt,
        StudyItem.created_at,
        StudyItem.id,
        limit=limit,
        cursor=cursor,
        out=lambda item: out(item, now),
    )


def get_item(db: Session, principal: Principal, item_id: uuid.UUID) -> ItemOut:
    return out(own_item(db, principal, item_id))


def update_item(
    db: Session, principal: Principal, item_id: uuid.UUID, data: ItemUpdateIn
) -> ItemOut:
    item = own_item(db, principal, item_id, lock=True)
    sent = data.model_fields_set
    for name in ("front", "back", "content", "tags"):
        if name in sent and getattr(data, name) is None:
            raise InvalidField(name, "may not be null; leave the field out to keep its value")
    front = data.front if "front" in sent else item.front
    back = data.back if "back" in sent else item.back
    content = data.content if "content" in sent else item.content
    _check_fields(item.type, front, back, content)
    if "course_id" in sent or "lesson_id" in sent:
        lesson_id = data.lesson_id if "lesson_id" in sent else item.lesson_id
        if "course_id" in sent:
            course_id = data.course_id
            if "lesson_id" not in sent and course_id != item.course_id:
                # A new course unties the old lesson, which belongs to the old one.
                lesson_id = None
        else:
            # A new lesson brings its own course.
            course_id = None if "lesson_id" in sent and lesson_id else item.course_id
        if lesson_id is not None or course_id != item.course_id:
            course_id = _placement(db, principal, course_id, lesson_id)
        item.course_id, item.lesson_id = course_id, lesson_id
    item.front, item.back, item.content = front, back, content
    if data.tags is not None:
        item.tags = data.tags
    db.commit()
    return out(item)


def delete_item(db: Session, principal: Principal, item_id: uuid.UUID) -> None:
    """The item goes with its reviews."""
    db.delete(own_item(db, principal, item_id, lock=True))
    db.commit()

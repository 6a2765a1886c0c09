"""Who may see or change a course and its lessons: one place, used by every route.

- The owner and admins see and change everything of a course; changing also needs the
  instructor or admin role, so an owner demoted to student can no longer change it.
- Others see a course once it is published; an unpublished one is a 404 to them, so
  its existence does not leak. Changing a published course of someone else is a 403.
- A lesson's content is for the owner, admins and learners enrolled in its course;
  others get 404 before publication and 403 after.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from lectern.catalog.models import Course, Lesson, Module
from lectern.core.principal import Principal, UserRole
from lectern.errors import Forbidden, NotFound
from lectern.progress.models import Enrollment

COURSE_NOT_FOUND = "No such course."
LESSON_NOT_FOUND = "No such lesson."
MODULE_NOT_FOUND = "No such module."
EDIT_FORBIDDEN = "Only the course's owner or an admin may change it."


def is_owner_or_admin(course: Course, principal: Principal | None) -> bool:
    return principal is not None and (
        principal.role == UserRole.admin or course.owner_id == principal.user_id
    )


def can_edit(course: Course, principal: Principal | None) -> bool:
    """Ownership alone is not enough: an owner demoted to student keeps sight of the
    course but may no longer change or share it."""
    return (
        is_owner_or_admin(course, principal)
        and principal is not None
        and (principal.role in (UserRole.admin, UserRole.instructor))
    )


def can_view(course: Course, principal: Principal | None) -> bool:
    return course.published_at is not None or is_owner_or_admin(course, principal)


def course_for_view(
    db: Session, principal: Principal | None, course_id: uuid.UUID, *, lock: bool = False
) -> Course:
    course = db.get(Course, course_id, with_for_update=lock)
    if course is None or not can_view(course, principal):
        raise NotFound(COURSE_NOT_FOUND)
    return course


def course_for_edit(
    db: Session, principal: Principal, course_id: uuid.UUID, *, lock: bool = False
) -> Course:
    course = course_for_view(db, principal, course_id, lock=lock)
    if not can_edit(course, principal):
        raise Forbidden(EDIT_FORBIDDEN)
    return course


def module_for_edit(
    db: Session, principal: Principal, module_id: uuid.UUID, *, lock: bool = False
) -> Module:
    module = db.get(Module, module_id, with_for_update=lock)
    if module is None:
        raise NotFound(MODULE_NOT_FOUND)
    course = db.get(Course, module.course_id)
    if course is None or not can_view(course, principal):
        raise NotFound(MODULE_NOT_FOUND)
    if not can_edit(course, principal):
        raise Forbidden(EDIT_FORBIDDEN)
    return module


def is_enrolled(db: Session, user_id: uuid.UUID, course_id: uuid.UUID) -> bool:
    return bool(
        db.scalar(
            select(exists().where(Enrollment.user_id == user_id, Enrollment.course_id == course_id))
        )
    )


def _visible_lesson(
    db: Session, principal: Principal | None, lesson_id: uuid.UUID
) -> tuple[Lesson, Course]:
    """A lesson and its course, or 404 when either is missing or hidden from the caller."""
    lesson = db.get(Lesson, lesson_id)
    course = db.get(Course, lesson.course_id) if lesson is not None else None
    if lesson is None or course is None or not can_view(course, principal):
        raise NotFound(LESSON_NOT_FOUND)
    return lesson, course


def lesson_for_view(
    db: Session, principal: Principal | None, lesson_id: uuid.UUID
) -> tuple[Lesson, Course]:
    lesson, course = _visible_lesson(db, principal, lesson_id)
    if is_owner_or_admin(course, principal):
        return lesson, course
    if principal is None or not is_enrolled(db, principal.user_id, course.id):
        raise Forbidden("Enroll in the course to read its lessons.")
    return lesson, course


def lesson_for_edit(db: Session, principal: Principal, lesson_id: uuid.UUID) -> Lesson:
    lesson, course = _visible_lesson(db, principal, lesson_id)
    if not can_edit(course, principal):
        raise Forbidden(EDIT_FORBIDDEN)
    return lesson

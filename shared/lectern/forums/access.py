"""Who may read and write a course's forum: one place, used by every forum route.

- Members read and post: the course's enrolled learners, its owner and admins. The
  course must be visible to the caller first (``lectern.catalog.access``): a hidden one
  is a 404, so a forum never tells of a course that does not show. Anyone else is a 403,
  with no thread's title or content.
- Moderators (the owner with the instructor role, admins: ``catalog.access.can_edit``)
  pin, close, endorse and delete any post, see anonymous authors, and read the flags.
- An author changes and deletes their own posts.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from lectern.catalog import access as catalog
from lectern.catalog.models import Course
from lectern.core.principal import Principal
from lectern.errors import Forbidden, NotFound
from lectern.forums.models import ForumReply, ForumThread

THREAD_NOT_FOUND = "No such thread."
REPLY_NOT_FOUND = "No such reply."
MEMBERS_ONLY = "Enroll in the course to read and write its forum."
MODERATORS_ONLY = "Only the course's owner or an admin may moderate its forum."


def is_moderator(course: Course, principal: Principal) -> bool:
    return catalog.can_edit(course, principal)


def forum_course(db: Session, principal: Principal, course_id: uuid.UUID) -> Course:
    """The course whose forum the caller may use: 404 when the course is hidden from
    them, 403 when they are not a member."""
    course = catalog.course_for_view(db, principal, course_id)
    if catalog.is_owner_or_admin(course, principal):
        return course
    if not catalog.is_enrolled(db, principal.user_id, course.id):
        raise Forbidden(MEMBERS_ONLY)
    return course


def moderated_course(db: Session, principal: Principal, course_id: uuid.UUID) -> Course:
    course = forum_course(db, principal, course_id)
    if not is_moderator(course, principal):
        raise Forbidden(MODERATORS_ONLY)
    return course


def thread_for_member(
    db: Session, principal: Principal, thread_id: uuid.UUID, *, lock: bool = False
) -> tuple[ForumThread, Course]:
    thread = db.get(ForumThread, thread_id, with_for_update=lock, populate_existing=lock)
    if thread is None:
        raise NotFound(THREAD_NOT_FOUND)
    try:
        course = forum_course(db, principal, thread.course_id)
    except NotFound as exc:
        raise NotFound(THREAD_NOT_FOUND) from exc
    return thread, course


def reply_for_member(
    db: Session, principal: Principal, reply_id: uuid.UUID, *, lock: bool = False
) -> tuple[ForumReply, ForumThread, Course]:
    reply = db.get(ForumReply, reply_id, with_for_update=lock, populate_existing=lock)
    if reply is None:
        raise NotFound(REPLY_NOT_FOUND)
    try:
        thread, course = thread_for_member(db, principal, reply.thread_id)
    except NotFound as exc:
        raise NotFound(REPLY_NOT_FOUND) from exc
    return reply, thread, course


def require_moderator(course: Course, principal: Principal) -> None:
    if not is_moderator(course, principal):
        raise Forbidden(MODERATORS_ONLY)


def require_author_or_moderator(
    author_id: uuid.UUID | None, course: Course, principal: Principal
) -> None:
    if author_id != principal.user_id and not is_moderator(course, principal):
        raise Forbidden("Only the post's author or a moderator may do this.")

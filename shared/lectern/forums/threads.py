"""Threads: start, list (pinned first, by recent activity, top score or unanswered),
read, change (the author its text, a moderator its pin and lock), delete, follow.

Lists are keyset pages over partial indexes of the live threads ``(course, pinned, key,
id)``: a page is one index range however deep the cursor, and "top" reads the score
counter the votes keep, never a count of votes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from lectern.core.ids import uuid7
from lectern.core.outbox import enqueue
from lectern.core.pagination import BAD_CURSOR, decode_cursor, encode_cursor, split_page
from lectern.core.principal import Principal
from lectern.errors import Conflict, Forbidden, InvalidField
from lectern.forums import access, throttle, views
from lectern.forums.markdown import render
from lectern.forums.models import ForumThread, ThreadFollow
from lectern.forums.schemas import (
    Sort,
    ThreadDetailOut,
    ThreadIn,
    ThreadPage,
    ThreadUpdateIn,
)

THREAD_DELETED = "The thread is deleted."
SEARCH_TYPE = "thread"


def create_thread(
    db: Session, principal: Principal, course_id: uuid.UUID, data: ThreadIn
) -> ThreadDetailOut:
    course = access.forum_course(db, principal, course_id)
    throttle.check_post(str(principal.user_id))
    thread = ForumThread(
        id=uuid7(),
        course_id=course.id,
        author_id=principal.user_id,
        title=data.title,
        body=data.body,
        body_html=render(data.body),
        anonymous=data.anonymous,
    )
    db.add(thread)
    db.flush()
    # Authors follow their own threads: they hear of every reply.
    db.add(ThreadFollow(thread_id=thread.id, user_id=principal.user_id))
    enqueue(db, SEARCH_TYPE, [thread.id])
    db.commit()
    return views.thread_detail(
        db, thread, principal, moderator=access.is_moderator(course, principal), following=True
    )


# -- the list ----------------------------------------------------------------------------


def _key(sort: Sort) -> Any:
    if sort == "top":
        return ForumThread.score
    if sort == "recent":
        return ForumThread.last_activity_at
    return None


def _position(thread: ForumThread, sort: Sort) -> str:
    position: dict[str, Any] = {"s": sort, "p": thread.pinned, "id": str(thread.id)}
    if sort == "top":
        position["k"] = thread.score
    elif sort == "recent":
        position["k"] = thread.last_activity_at.isoformat()
    return encode_cursor(position)


def _after(cursor: str, sort: Sort) -> ColumnElement[bool]:
    """The threads after a cursor's, in the list's order (every column descending)."""
    position = decode_cursor(cursor)
    try:
        if position["s"] != sort:
            raise InvalidField("cursor", "a cursor of another sort")
        pinned = position["p"]
        row_id = uuid.UUID(str(position["id"]))
        if not isinstance(pinned, bool):
            raise ValueError(pinned)
        if sort == "top":
            key: Any = position["k"]
            if not isinstance(key, int) or isinstance(key, bool):
                raise ValueError(key)
        elif sort == "recent":
            key = datetime.fromisoformat(str(position["k"]))
            if key.tzinfo is None:
                raise ValueError(key)
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidField("cursor", BAD_CURSOR) from exc
    column = _key(sort)
    if column is None:
        return tuple_(ForumThread.pinned, ForumThread.id) < tuple_(pinned, row_id)
    return tuple_(ForumThread.pinned, column, ForumThread.id) < tuple_(pinned, key, row_id)


def list_threads(
    db: Session,
    principal: Principal,
    course_id: uuid.UUID,
    *,
    sort: Sort,
    limit: int,
    cursor: str | None,
) -> ThreadPage:
    course = access.forum_course(db, principal, course_id)
    stmt = select(ForumThread).where(
        ForumThread.course_id == course.id, ForumThread.deleted_at.is_(None)
    )
    if sort == "unanswered":
        stmt = stmt.where(ForumThread.reply_count == 0)
    if cursor is not None:
        stmt = stmt.where(_after(cursor, sort))
    order: list[Any] = [ForumThread.pinned.desc()]
    column = _key(sort)
    if column is not None:
        order.append(column.desc())
    order.append(ForumThread.id.desc())
    rows = list(db.scalars(stmt.order_by(*order).limit(limit + 1)))
    page, next_cursor = split_page(rows, limit, lambda t: _position(t, sort))
    moderator = access.is_moderator(course, principal)
    known = views.names(db, [t.author_id for t in page])
    votes = views.thread_votes(db, principal.user_id, [t.id for t in page])
    return ThreadPage(
        items=[
            views.thread_out(
                t, principal, moderator=moderator, known=known, my_vote=votes.get(t.id, 0)
            )
            for t in page
        ],
        next_cursor=next_cursor,
    )


# -- one thread --------------------------------------------------------------------------


def _following(db: Session, thread_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return bool(
        db.scalar(
            select(
                exists().where(ThreadFollow.thread_id == thread_id, ThreadFollow.user_id == user_id)
            )
        )
    )


def get_thread(db: Session, principal: Principal, thread_id: uuid.UUID) -> ThreadDetailOut:
    thread, course = access.thread_for_member(db, principal, thread_id)
    return views.thread_detail(
        db,
        thread,
        principal,
        moderator=access.is_moderator(course, principal),
        following=_following(db, thread.id, principal.user_id),
    )


def update_thread(
    db: Session, principal: Principal, thread_id: uuid.UUID, data: ThreadUpdateIn
) -> ThreadDetailOut:
    """The author changes the text, a moderator the pin and the lock; a field sent by
    someone who may not change it is a 403, and nothing changes."""
    thread, course = access.thread_for_member(db, principal, thread_id, lock=True)
    moderator = access.is_moderator(course, principal)
    changes = data.model_dump(exclude_unset=True)
    if {"title", "body"} & changes.keys() and thread.author_id != principal.user_id:
        raise Forbidden("Only the thread's author may change its title or body.")
    if {"pinned", "closed"} & changes.keys() and not moderator:
        raise Forbidden(access.MODERATORS_ONLY)
    if thread.deleted_at is not None:
        raise Conflict(THREAD_DELETED)
    if "title" in changes:
        thread.title = changes["title"]
    if "body" in changes:
        thread.body = changes["body"]
        thread.body_html = render(changes["body"])
    if "pinned" in changes:
        thread.pinned = changes["pinned"]
    if "closed" in changes:
        thread.closed = changes["closed"]
    if {"title", "body"} & changes.keys():
        enqueue(db, SEARCH_TYPE, [thread.id])
    db.flush()
    db.commit()
    db.refresh(thread)
    return views.thread_detail(
        db,
        thread,
        principal,
        moderator=moderator,
        following=_following(db, thread.id, principal.user_id),
    )


def delete_thread(db: Session, principal: Principal, thread_id: uuid.UUID) -> None:
    """The thread reads as deleted and leaves the lists and the index; its replies stay.
    Deleting it again changes nothing."""
    thread, course = access.thread_for_member(db, principal, thread_id, lock=True)
    access.require_author_or_moderator(thread.author_id, course, principal)
    if thread.deleted_at is None:
        thread.deleted_at = func.now()
        enqueue(db, SEARCH_TYPE, [thread.id])
    db.commit()


def follow(db: Session, principal: Principal, thread_id: uuid.UUID, *, on: bool) -> None:
    thread, _course = access.thread_for_member(db, principal, thread_id)
    if on:
        db.execute(
            insert(ThreadFollow)
            .values(thread_id=thread.id, user_id=principal.user_id)
            .on_conflict_do_nothing()
        )
    else:
        db.execute(
            delete(ThreadFollow).where(
                ThreadFollow.thread_id == thread.id, ThreadFollow.user_id == principal.user_id
            )
        )
    db.commit()

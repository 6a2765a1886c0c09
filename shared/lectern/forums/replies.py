"""Replies: post (a reply may answer a top-level reply, one level), list (endorsed first,
then oldest first), delete, and endorse.

A reply is one transaction: the thread's counter and activity (refused when the thread
is closed or deleted), the reply, the followers' notifications (and their mail in the
outbox) and the thread's search entry. If any of it fails nothing is written, nobody is
notified and no mail goes out.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from lectern.catalog.models import Course
from lectern.core.ids import uuid7
from lectern.core.outbox import enqueue
from lectern.core.pagination import BAD_CURSOR, decode_cursor, encode_cursor, split_page
from lectern.core.principal import Principal, UserRole
from lectern.errors import Conflict, InvalidField
from lectern.forums import access, throttle, views
from lectern.forums.markdown import render
from lectern.forums.models import ForumReply, ForumThread, ThreadFollow
from lectern.forums.schemas import ReplyIn, ReplyOut, ReplyPage
from lectern.identity.models import Profile
from lectern.progress.models import Enrollment

THREAD_CLOSED = "The thread is closed (or deleted): it takes no new replies."
REPLY_DELETED = "The reply is deleted."
EXCERPT = 200


def thread_link(thread: ForumThread) -> str:
    return f"/courses/{thread.course_id}/threads/{thread.id}"


def excerpt(markdown: str) -> str:
    flat = " ".join(markdown.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _readers_following(
    db: Session, thread: ForumThread, course: Course, but: uuid.UUID
) -> list[uuid.UUID]:
    """The thread's followers who may still read it (enrolled, the owner, admins): one
    who left the course hears nothing of it, not even its title."""
    enrolled = exists().where(
        Enrollment.user_id == ThreadFollow.user_id, Enrollment.course_id == thread.course_id
    )
    return list(
        db.scalars(
            select(ThreadFollow.user_id)
            .join(Profile, Profile.user_id == ThreadFollow.user_id)
            .where(
                ThreadFollow.thread_id == thread.id,
                ThreadFollow.user_id != but,
                or_(
                    enrolled,
                    ThreadFollow.user_id == course.owner_id,
                    Profile.role == UserRole.admin,
                ),
            )
        )
    )


def _parent(db: Session, thread: ForumThread, parent_id: uuid.UUID | None) -> uuid.UUID | None:
    if parent_id is None:
        return None
    parent = db.get(ForumReply, parent_id)
    if parent is None or parent.thread_id != thread.id:
        raise InvalidField("parent_id", "not a reply of this thread")
    if parent.parent_id is not None:
        raise InvalidField("parent_id", "replies nest one level: answer the top-level reply")
    return parent.id


def create_reply(
    db: Session, principal: Principal, thread_id: uuid.UUID, data: ReplyIn
) -> ReplyOut:
    thread, course = access.thread_for_member(db, principal, thread_id)
    parent_id = _parent(db, thread, data.parent_id)
    throttle.check_post(str(principal.user_id))
    html = render(data.body)
    # The counter and the check in one statement: a thread closed or deleted meanwhile
    # takes no reply.
    open_thread = db.scalar(
        update(ForumThread)
        .where(
            ForumThread.id == thread.id,
            ForumThread.closed.is_(False),
            ForumThread.deleted_at.is_(None),
        )
        .values(
            reply_count=ForumThread.reply_count + 1,
            last_activity_at=func.now(),
            # A reply is not an edit of the thread.
            updated_at=ForumThread.updated_at,
        )
        .returning(ForumThread.id)
    )
    if open_thread is None:
        db.rollback()
        raise Conflict(THREAD_CLOSED)
    reply = ForumReply(
        id=uuid7(),
        thread_id=thread.id,
        parent_id=parent_id,
        author_id=principal.user_id,
        body=data.body,
        body_html=html,
        anonymous=data.anonymous,
    )
    db.add(reply)
    db.flush()
    # Only posting and endorsing notify: the forum's reads never load notifications.
    from lectern.notifications.service import notify

    notify(
        db,
        _readers_following(db, thread, course, but=principal.user_id),
        "thread_reply",
        title=f"New reply in: {thread.title}",
        body=excerpt(data.body),
        link=thread_link(thread),
    )
    enqueue(db, "thread", [thread.id])
    db.commit()
    return views.one_reply(db, reply, principal, moderator=access.is_moderator(course, principal))


def _after(cursor: str) -> object:
    """The replies after a cursor's: endorsed first, then oldest first."""
    position = decode_cursor(cursor)
    try:
        endorsed = position["e"]
        at = datetime.fromisoformat(str(position["at"]))
        row_id = uuid.UUID(str(position["id"]))
        if not isinstance(endorsed, bool) or at.tzinfo is None:
            raise ValueError(position)
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidField("cursor", BAD_CURSOR) from exc
    later = and_(
        ForumReply.endorsed.is_(endorsed),
        tuple_(ForumReply.created_at, ForumReply.id) > tuple_(at, row_id),
    )
    # After the endorsed ones come all the others.
    return or_(later, ForumReply.endorsed.is_(False)) if endorsed else later


def list_replies(
    db: Session, principal: Principal, thread_id: uuid.UUID, *, limit: int, cursor: str | None
) -> ReplyPage:
    thread, course = access.thread_for_member(db, principal, thread_id)
    stmt = select(ForumReply).where(ForumReply.thread_id == thread.id)
    if cursor is not None:
        stmt = stmt.where(_after(cursor))  # type: ignore[arg-type]
    rows = list(
        db.scalars(
            stmt.order_by(ForumReply.endorsed.desc(), ForumReply.created_at, ForumReply.id).limit(
                limit + 1
            )
        )
    )
    page, next_cursor = split_page(
        rows,
        limit,
        lambda r: encode_cursor({"e": r.endorsed, "at": r.created_at.isoformat(), "id": str(r.id)}),
    )
    moderator = access.is_moderator(course, principal)
    known = views.names(db, [r.author_id for r in page])
    votes = views.reply_votes(db, principal.user_id, [r.id for r in page])
    return ReplyPage(
        items=[
            views.reply_out(
                r, principal, moderator=moderator, known=known, my_vote=votes.get(r.id, 0)
            )
            for r in page
        ],
        next_cursor=next_cursor,
    )


def delete_reply(db: Session, principal: Principal, reply_id: uuid.UUID) -> None:
    """The reply reads as deleted (its answers stay) and no longer counts; again: no-op."""
    reply, thread, course = access.reply_for_member(db, principal, reply_id, lock=True)
    access.require_author_or_moderator(reply.author_id, course, principal)
    if reply.deleted_at is None:
        reply.deleted_at = func.now()
        db.execute(
            update(ForumThread)
            .where(ForumThread.id == thread.id)
            .values(reply_count=ForumThread.reply_count - 1, updated_at=ForumThread.updated_at)
        )
        enqueue(db, "thread", [thread.id])
    db.commit()


def endorse(db: Session, principal: Principal, reply_id: uuid.UUID, *, on: bool) -> ReplyOut:
    """A moderator marks a reply as a good answer (its author hears of it), or unmarks it."""
    reply, thread, course = access.reply_for_member(db, principal, reply_id, lock=True)
    access.require_moderator(course, principal)
    if reply.deleted_at is not None:
        raise Conflict(REPLY_DELETED)
    if reply.endorsed != on:
        reply.endorsed = on
        if on and reply.author_id is not None and reply.author_id != principal.user_id:
            from lectern.notifications.service import notify

            notify(
                db,
                [reply.author_id],
                "reply_endorsed",
                title=f"Your reply was endorsed in: {thread.title}",
                body=excerpt(reply.body),
                link=thread_link(thread),
            )
    db.commit()
    return views.one_reply(db, reply, principal, moderator=True)

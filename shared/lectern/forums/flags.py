"""Flags: a member flags a post with a reason; the course's moderators read the queue,
newest first. A second flag of the same post by the same member changes nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from lectern.core.ids import uuid7
from lectern.core.pagination import keyset_rows
from lectern.core.principal import Principal
from lectern.forums import access, throttle, views
from lectern.forums.models import ForumFlag, ForumReply, ForumThread
from lectern.forums.replies import excerpt
from lectern.forums.schemas import AuthorOut, FlagOut, FlagPage


def _flag(
    db: Session,
    principal: Principal,
    *,
    course_id: uuid.UUID,
    thread_id: uuid.UUID,
    reply_id: uuid.UUID | None,
    reason: str,
) -> None:
    throttle.check_flag(str(principal.user_id))
    # Each kind of flag has its own partial unique index: name the one this insert hits.
    where = "reply_id IS NOT NULL" if reply_id else "reply_id IS NULL"
    db.execute(
        insert(ForumFlag)
        .values(
            id=uuid7(),
            course_id=course_id,
            thread_id=thread_id,
            reply_id=reply_id,
            user_id=principal.user_id,
            reason=reason,
        )
        .on_conflict_do_nothing(
            index_elements=["user_id", "reply_id" if reply_id else "thread_id"],
            index_where=text(where),
        )
    )
    db.commit()


def flag_thread(db: Session, principal: Principal, thread_id: uuid.UUID, reason: str) -> None:
    thread, course = access.thread_for_member(db, principal, thread_id)
    _flag(db, principal, course_id=course.id, thread_id=thread.id, reply_id=None, reason=reason)


def flag_reply(db: Session, principal: Principal, reply_id: uuid.UUID, reason: str) -> None:
    reply, thread, course = access.reply_for_member(db, principal, reply_id)
    _flag(db, principal, course_id=course.id, thread_id=thread.id, reply_id=reply.id, reason=reason)


def list_flags(
    db: Session, principal: Principal, course_id: uuid.UUID, *, limit: int, cursor: str | None
) -> FlagPage:
    course = access.moderated_course(db, principal, course_id)
    reply = aliased(ForumReply)
    stmt = (
        select(
            ForumFlag.id,
            ForumFlag.thread_id,
            ForumFlag.reply_id,
            ForumFlag.reason,
            ForumFlag.created_at,
            ForumFlag.user_id,
            ForumThread.body.label("thread_body"),
            reply.body.label("reply_body"),
        )
        .join(ForumThread, ForumThread.id == ForumFlag.thread_id)
        .outerjoin(reply, reply.id == ForumFlag.reply_id)
        .where(ForumFlag.course_id == course.id)
    )
    rows, next_cursor = keyset_rows(
        db, stmt, ForumFlag.created_at, ForumFlag.id, limit=limit, cursor=cursor
    )
    known = views.names(db, [r.user_id for r in rows])
    return FlagPage(
        items=[
            FlagOut(
                id=r.id,
                thread_id=r.thread_id,
                reply_id=r.reply_id,
                reason=r.reason,
                created_at=r.created_at,
                flagged_by=AuthorOut(id=r.user_id, name=known.get(r.user_id, "")),
                excerpt=excerpt(r.reply_body if r.reply_id else r.thread_body),
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )

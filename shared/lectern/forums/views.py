"""How posts look to one caller: anonymous authors hidden from peers, deleted posts read
as deleted, and the caller's own votes; each read in one query per page."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.core.principal import Principal
from lectern.forums.models import ForumReply, ForumThread, ReplyVote, ThreadVote
from lectern.forums.schemas import AuthorOut, ReplyOut, ThreadDetailOut, ThreadOut
from lectern.identity.models import Profile

DELETED_TITLE = "[deleted]"


def names(db: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return {}
    rows = db.execute(
        select(Profile.user_id, Profile.display_name).where(Profile.user_id.in_(wanted))
    )
    return {user_id: name for user_id, name in rows}


def thread_votes(db: Session, user_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not ids:
        return {}
    rows = db.execute(
        select(ThreadVote.thread_id, ThreadVote.value).where(
            ThreadVote.user_id == user_id, ThreadVote.thread_id.in_(ids)
        )
    )
    return {post: value for post, value in rows}


def reply_votes(db: Session, user_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not ids:
        return {}
    rows = db.execute(
        select(ReplyVote.reply_id, ReplyVote.value).where(
            ReplyVote.user_id == user_id, ReplyVote.reply_id.in_(ids)
        )
    )
    return {post: value for post, value in rows}


def _author(
    author_id: uuid.UUID | None,
    anonymous: bool,
    deleted: bool,
    *,
    viewer: Principal,
    moderator: bool,
    known: dict[uuid.UUID, str],
) -> AuthorOut | None:
    if author_id is None or deleted:
        return None
    if anonymous and not (moderator or author_id == viewer.user_id):
        return None
    return AuthorOut(id=author_id, name=known.get(author_id, ""))


def thread_out(
    thread: ForumThread,
    viewer: Principal,
    *,
    moderator: bool,
    known: dict[uuid.UUID, str],
    my_vote: int = 0,
) -> ThreadOut:
    deleted = thread.deleted_at is not None
    return ThreadOut(
        id=thread.id,
        course_id=thread.course_id,
        title=DELETED_TITLE if deleted else thread.title,
        body="" if deleted else thread.body,
        body_html="" if deleted else thread.body_html,
        author=_author(
            thread.author_id,
            thread.anonymous,
            deleted,
            viewer=viewer,
            moderator=moderator,
            known=known,
        ),
        anonymous=thread.anonymous,
        score=thread.score,
        reply_count=thread.reply_count,
        pinned=thread.pinned,
        closed=thread.closed,
        deleted=deleted,
        created_at=thread.created_at,
        updated_at=thread.updated_at,
        last_activity_at=thread.last_activity_at,
        my_vote=my_vote,
    )


def thread_detail(
    db: Session, thread: ForumThread, viewer: Principal, *, moderator: bool, following: bool
) -> ThreadDetailOut:
    out = thread_out(
        thread,
        viewer,
        moderator=moderator,
        known=names(db, [thread.author_id]),
        my_vote=thread_votes(db, viewer.user_id, [thread.id]).get(thread.id, 0),
    )
    return ThreadDetailOut(**out.model_dump(), following=following)


def reply_out(
    reply: ForumReply,
    viewer: Principal,
    *,
    moderator: bool,
    known: dict[uuid.UUID, str],
    my_vote: int = 0,
) -> ReplyOut:
    deleted = reply.deleted_at is not None
    return ReplyOut(
        id=reply.id,
        thread_id=reply.thread_id,
        parent_id=reply.parent_id,
        body="" if deleted else reply.body,
        body_html="" if deleted else reply.body_html,
        author=_author(
            reply.author_id,
            reply.anonymous,
            deleted,
            viewer=viewer,
            moderator=moderator,
            known=known,
        ),
        anonymous=reply.anonymous,
        score=reply.score,
        endorsed=reply.endorsed,
        deleted=deleted,
        created_at=reply.created_at,
        updated_at=reply.updated_at,
        my_vote=my_vote,
    )


def one_reply(db: Session, reply: ForumReply, viewer: Principal, *, moderator: bool) -> ReplyOut:
    return reply_out(
        reply,
        viewer,
        moderator=moderator,
        known=names(db, [reply.author_id]),
        my_vote=reply_votes(db, viewer.user_id, [reply.id]).get(reply.id, 0),
    )

"""Votes: one per user per post, +1, -1 or 0 (taken back), never on one's own post.

The vote row and the post's score move in one statement, by the difference between the
new value and the one it replaces. That old value must be the latest committed one, so
each (post, voter) pair is serialized by a transaction-scoped advisory lock taken in a
statement of its own before it (under READ COMMITTED each statement sees what committed
before it began): a voter's concurrent votes leave one row and their last value, and
concurrent voters only queue on the score's row update, so the score stays exactly the
sum of the votes.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lectern.core.principal import Principal
from lectern.errors import Conflict
from lectern.forums import access
from lectern.forums.schemas import VoteOut

OWN_POST = "You cannot vote on your own post."
DELETED = "The post is deleted."

_STATEMENTS = {
    kind: text(
        f"""
        WITH old AS (
            SELECT coalesce(
                (SELECT value FROM {votes} WHERE {key} = :post AND user_id = :user), 0
            ) AS value
        ), dropped AS (
            DELETE FROM {votes} WHERE {key} = :post AND user_id = :user AND :value = 0
        ), kept AS (
            INSERT INTO {votes} ({key}, user_id, value)
            SELECT :post, :user, :value WHERE :value <> 0
            ON CONFLICT ({key}, user_id)
            DO UPDATE SET value = EXCLUDED.value, updated_at = now()
        )
        UPDATE {posts} SET score = score + (:value - (SELECT value FROM old))
        WHERE id = :post RETURNING score
        """  # noqa: S608 - fixed table names
    )
    for kind, votes, key, posts in (
        ("thread", "forum_thread_votes", "thread_id", "forum_threads"),
        ("reply", "forum_reply_votes", "reply_id", "forum_replies"),
    )
}


def _vote(
    db: Session,
    kind: Literal["thread", "reply"],
    post_id: uuid.UUID,
    user_id: uuid.UUID,
    value: int,
) -> VoteOut:
    db.execute(
        select(
            func.pg_advisory_xact_lock(
                func.hashtextextended(f"lectern.vote:{kind}:{post_id}:{user_id}", 0)
            )
        )
    )
    score = db.execute(
        _STATEMENTS[kind], {"post": post_id, "user": user_id, "value": value}
    ).scalar_one()
    db.commit()
    return VoteOut(score=score, my_vote=value)


def vote_thread(db: Session, principal: Principal, thread_id: uuid.UUID, value: int) -> VoteOut:
    thread, _course = access.thread_for_member(db, principal, thread_id)
    if thread.author_id == principal.user_id:
        raise Conflict(OWN_POST)
    if thread.deleted_at is not None:
        raise Conflict(DELETED)
    return _vote(db, "thread", thread.id, principal.user_id, value)


def vote_reply(db: Session, principal: Principal, reply_id: uuid.UUID, value: int) -> VoteOut:
    reply, _thread, _course = access.reply_for_member(db, principal, reply_id)
    if reply.author_id == principal.user_id:
        raise Conflict(OWN_POST)
    if reply.deleted_at is not None:
        raise Conflict(DELETED)
    return _vote(db, "reply", reply.id, principal.user_id, value)

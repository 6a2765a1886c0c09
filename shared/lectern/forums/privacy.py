"""A member's forum records in the export, and erasure: posts stay readable without
their author; votes (taken off the scores they counted in), follows and flags go."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from lectern.forums.models import ForumReply, ForumThread
from lectern.privacy import plain


def posts(db: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every thread and reply the user wrote, anonymous ones included (they are theirs)."""
    threads = db.execute(
        select(
            ForumThread.id,
            ForumThread.course_id,
            ForumThread.title,
            ForumThread.body,
            ForumThread.anonymous,
            ForumThread.created_at,
            ForumThread.deleted_at,
        ).where(ForumThread.author_id == user_id)
    ).mappings()
    replies = db.execute(
        select(
            ForumReply.id,
            ForumReply.thread_id,
            ForumReply.parent_id,
            ForumReply.body,
            ForumReply.anonymous,
            ForumReply.created_at,
            ForumReply.deleted_at,
        ).where(ForumReply.author_id == user_id)
    ).mappings()
    found = [{"kind": "thread", **{k: plain(v) for k, v in r.items()}} for r in threads]
    found += [{"kind": "reply", **{k: plain(v) for k, v in r.items()}} for r in replies]
    return found


_UNVOTE = {
    table: text(
        f"WITH gone AS (DELETE FROM {votes} WHERE user_id = :user RETURNING {key}, value)"  # noqa: S608 - fixed names
        f" UPDATE {table} AS p SET score = p.score - g.total"
        f" FROM (SELECT {key} AS id, sum(value) AS total FROM gone GROUP BY {key}) AS g"
        " WHERE p.id = g.id"
    )
    for table, votes, key in (
        ("forum_threads", "forum_thread_votes", "thread_id"),
        ("forum_replies", "forum_reply_votes", "reply_id"),
    )
}


def erase(db: Session, user_id: uuid.UUID) -> None:
    """In the erasure's transaction: the user's votes leave the scores with their rows,
    and their posts lose their author (follows and flags go as personal data)."""
    for statement in _UNVOTE.values():
        db.execute(statement, {"user": user_id})
    for model in (ForumThread, ForumReply):
        db.execute(
            update(model)
            .where(model.author_id == user_id)
            .values(author_id=None, updated_at=model.updated_at)
        )

"""What a thread looks like to the full-text index: its title, and as body its text and
its live replies' (the best first, up to a cap), so a reply is found through its thread.

The entry carries its course's owner and publication (``Visibility(owner, enrolled)``):
the owner and the course's enrolled learners find it once the course is published,
admins always; nobody else, not even by its title. A course's change re-sends its
threads (``follows``), a deleted thread leaves the index.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ARRAY, bindparam, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Session

from lectern.catalog.models import Course
from lectern.forums.models import ForumThread
from lectern.search.port import MAX_BODY, IndexDoc, join_text

# The replies an entry holds at most: the endorsed and best-scored first.
REPLIES_PER_ENTRY = 200

_REPLIES = text(
    "SELECT t.id AS thread_id, r.body FROM unnest(:ids) AS t(id)"
    " CROSS JOIN LATERAL (SELECT body FROM forum_replies"
    "  WHERE thread_id = t.id AND deleted_at IS NULL"
    "  ORDER BY endorsed DESC, score DESC, created_at LIMIT :per) AS r"
).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))


def thread_entries(db: Session, ids: Sequence[uuid.UUID]) -> list[IndexDoc]:
    rows = db.execute(
        select(
            ForumThread.id,
            ForumThread.title,
            ForumThread.body,
            ForumThread.course_id,
            Course.owner_id,
            Course.published_at,
        )
        .join(Course, Course.id == ForumThread.course_id)
        .where(ForumThread.id.in_(ids), ForumThread.deleted_at.is_(None))
    ).all()
    replies: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    if rows:
        for thread_id, body in db.execute(
            _REPLIES, {"ids": [r.id for r in rows], "per": REPLIES_PER_ENTRY}
        ):
            replies[thread_id].append(body)
    return [
        IndexDoc(
            type="thread",
            id=r.id,
            title=r.title,
            body=join_text(r.body, *replies[r.id])[:MAX_BODY],
            course_id=r.course_id,
            owner_id=r.owner_id,
            published=r.published_at is not None,
        )
        for r in rows
    ]


def threads_of_courses(
    db: Session, course_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each course's live threads: their entries carry its owner and publication."""
    if not course_ids:
        return {}
    by_course: dict[uuid.UUID, list[uuid.UUID]] = {c: [] for c in course_ids}
    for thread_id, course_id in db.execute(
        select(ForumThread.id, ForumThread.course_id).where(
            ForumThread.course_id.in_(course_ids), ForumThread.deleted_at.is_(None)
        )
    ):
        by_course[course_id].append(thread_id)
    return by_course

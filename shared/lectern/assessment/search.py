"""What a question looks like to the full-text index: prompt; body = topic, subject,
system, explanation; never public (``published`` is always false: only its author and
admins find it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.assessment.models import Question
from lectern.search.port import MAX_BODY, IndexDoc, join_text


def question_entries(db: Session, ids: Sequence[uuid.UUID]) -> list[IndexDoc]:
    rows = db.execute(
        select(
            Question.id,
            Question.prompt,
            Question.topic,
            Question.subject,
            Question.system,
            Question.explanation,
            Question.owner_id,
            Question.course_id,
        ).where(Question.id.in_(ids))
    ).all()
    return [
        IndexDoc(
            type="question",
            id=r.id,
            title=r.prompt,
            body=join_text(r.topic, r.subject, r.system, r.explanation)[:MAX_BODY],
            course_id=r.course_id,
            owner_id=r.owner_id,
            published=False,
        )
        for r in rows
    ]

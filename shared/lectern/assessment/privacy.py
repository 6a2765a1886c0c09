"""A learner's exam answers, for the export (they go with their exams on erasure)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.assessment.models import Exam, ExamAnswer
from lectern.privacy import plain


def exam_answers(db: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    answers = db.execute(
        select(ExamAnswer.__table__)
        .join(Exam, Exam.id == ExamAnswer.exam_id)
        .where(Exam.user_id == user_id)
    ).mappings()
    return [{k: plain(v) for k, v in row.items()} for row in answers]

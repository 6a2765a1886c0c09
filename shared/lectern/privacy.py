"""A learner's records across contexts, for the data export and account erasure.

Identity owns the account; this module knows which learning rows are personal. It
reads the tables directly, so identity does not import every context's service.
Authored content (courses, lessons, questions) stays when its author leaves: learners
rely on it, and it shows the anonymized name.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lectern.ai.models import AiUsage, AiUsageMonthly
from lectern.analytics.models import DailyUserActivity, Event
from lectern.assessment.models import (
    Exam,
    LearnerStats,
    LearnerTopicStats,
    QuestionExposure,
)
from lectern.db.base import Base
from lectern.documents.models import Document
from lectern.progress.models import Certificate, Enrollment, LessonCompletion, XpAward
from lectern.sharing.models import Share

# Rows that belong to one learner, by the column naming them. Exams take their answers
# with them, documents their chunks (ON DELETE CASCADE); the documents' objects are
# deleted by the caller (``lectern.storage.s3.delete_objects``). ``events`` has no
# index on user_id (every insert would pay for one): export and erasure scan each
# monthly partition, which is acceptable for a request this rare.
PERSONAL: tuple[tuple[type[Base], str], ...] = (
    (Enrollment, "user_id"),
    (LessonCompletion, "user_id"),
    (Certificate, "user_id"),
    (XpAward, "user_id"),
    (Exam, "user_id"),
    (LearnerStats, "user_id"),
    (LearnerTopicStats, "user_id"),
    (QuestionExposure, "user_id"),
    (Share, "owner_id"),
    (Event, "user_id"),
    (DailyUserActivity, "user_id"),
    (Document, "owner_id"),
    (AiUsage, "user_id"),
    (AiUsageMonthly, "user_id"),
)


def plain(value: Any) -> Any:
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _rows(db: Session, model: type[Base], column: str, user_id: uuid.UUID) -> list[dict[str, Any]]:
    table = model.__table__
    rows = db.execute(select(table).where(table.c[column] == user_id)).mappings()
    return [{k: plain(v) for k, v in row.items() if k != "token_hash"} for row in rows]


def export_learning(db: Session, user_id: uuid.UUID) -> dict[str, Any]:
    data = {
        str(model.__tablename__): _rows(db, model, column, user_id) for model, column in PERSONAL
    }
    from lectern.assessment.privacy import exam_answers
    from lectern.catalog.privacy import courses_authored

    data["exam_answers"] = exam_answers(db, user_id)
    data["courses_authored"] = courses_authored(db, user_id)
    return data


def erase_learning(db: Session, user_id: uuid.UUID) -> list[str]:
    """Delete the learner's personal learning records (in the caller's transaction).

    Returns the bucket keys of their documents: the caller deletes those objects with
    ``lectern.storage.s3.delete_objects`` before it commits, so a storage outage leaves
    nothing half-erased.
    """
    from lectern.documents.privacy import object_keys

    keys = object_keys(db, user_id)
    for model, column in PERSONAL:
        db.execute(delete(model).where(getattr(model, column) == user_id))
    return keys

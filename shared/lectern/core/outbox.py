"""The transactional outbox: changes that must reach the search index or the embedder.

Services call ``enqueue`` inside the transaction that changes the object, so the change
and its outbox rows commit or roll back together. ``search_sync`` drains them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Literal

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.models import OutboxEntry
from lectern.core.upkeep import Run, TaskResult
from lectern.observability import get_logger

EntityType = Literal["course", "lesson", "question"]
Topic = Literal["search", "embed"]
# A row failed this often is poisoned: the drain stops retrying it and an alarm counts it.
MAX_ATTEMPTS = 8


def enqueue(
    db: Session,
    entity_type: EntityType,
    entity_ids: list[uuid.UUID],
    topics: tuple[Topic, ...] = ("search",),
) -> None:
    """Add outbox rows for these objects (created, changed or deleted: the drain looks)."""
    rows = [
        {"topic": topic, "entity_type": entity_type, "entity_id": entity_id}
        for entity_id in entity_ids
        for topic in topics
    ]
    if rows:
        db.execute(insert(OutboxEntry), rows)


_EVERYTHING = text(
    "INSERT INTO outbox (topic, entity_type, entity_id)"
    " SELECT 'search', 'course', id FROM courses"
    " UNION ALL SELECT t.topic, 'lesson', l.id"
    " FROM lessons AS l CROSS JOIN (VALUES ('search'), ('embed')) AS t(topic)"
    " WHERE t.topic = 'search' OR :embed"
    " UNION ALL SELECT 'search', 'question', id FROM questions"
)


def enqueue_everything(db: Session, *, embed: bool = False) -> None:
    """Queue every course, lesson and question for the index (a re-index is a replay of
    the outbox); with ``embed``, every lesson for the embedder too."""
    db.execute(_EVERYTHING, {"embed": embed})


def outbox_task(db: Session, run: Run) -> TaskResult:
    cutoff = run.now - timedelta(days=get_settings().outbox_poison_keep_days)
    deleted = db.execute(
        text("DELETE FROM outbox WHERE attempts >= :attempts AND created_at < :cutoff"),
        {"attempts": MAX_ATTEMPTS, "cutoff": cutoff},
    )
    removed = int(getattr(deleted, "rowcount", 0) or 0)
    if removed:
        get_logger().warning("poisoned outbox rows deleted", extra={"deleted": removed})
    return run.now, {"deleted": removed}

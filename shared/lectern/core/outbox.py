"""The transactional outbox: changes that must reach the search index or the embedder,
and work a registered relay delivers after the commit (mail ...).

Services call ``enqueue`` (or ``relay``) inside the transaction that changes the object,
so the change and its outbox rows commit or roll back together. ``search_sync`` drains
the search and embed topics; the relay worker (``lectern.core.relay``) every relay's.
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

# A registered searchable type's name (see lectern.core.registry).
EntityType = str
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


def relay(db: Session, topic: str, entity_type: str, entity_ids: list[uuid.UUID]) -> None:
    """Add rows for a registered relay topic (``lectern.core.registry.OutboxRelay``):
    delivered once this transaction commits, never if it rolls back."""
    from lectern.core.registry import get_registry

    registered = get_registry().relays.get(topic)
    if registered is None or entity_type not in registered.entity_types:
        raise ValueError(f"no relay registered for {topic!r} / {entity_type!r}")
    if entity_ids:
        db.execute(
            insert(OutboxEntry),
            [{"topic": topic, "entity_type": entity_type, "entity_id": i} for i in entity_ids],
        )


def enqueue_everything(db: Session, *, embed: bool = False) -> None:
    """Queue every object of every registered searchable type for the index (a re-index
    is a replay of the outbox); with ``embed``, every embedded one for the embedder too."""
    from lectern.core.registry import get_registry

    for searchable in get_registry().searchable.values():
        topics = ["search", "embed"] if embed and searchable.embedded else ["search"]
        db.execute(
            text(
                "INSERT INTO outbox (topic, entity_type, entity_id)"  # noqa: S608 - registered names
                f" SELECT t.topic, :type, o.id FROM {searchable.table} AS o"
                " CROSS JOIN unnest(CAST(:topics AS text[])) AS t(topic)"
            ),
            {"type": searchable.name, "topics": topics},
        )


def outbox_task(db: Session, run: Run) -> TaskResult:
    cutoff = run.now - timedelta(days=get_settings().outbox.poison_keep_days)
    deleted = db.execute(
        text("DELETE FROM outbox WHERE attempts >= :attempts AND created_at < :cutoff"),
        {"attempts": MAX_ATTEMPTS, "cutoff": cutoff},
    )
    removed = int(getattr(deleted, "rowcount", 0) or 0)
    if removed:
        get_logger().warning("poisoned outbox rows deleted", extra={"deleted": removed})
    return run.now, {"deleted": removed}

"""A learner's records across contexts, for the data export and account erasure.

Identity owns the account; the contexts register which of their tables are personal
(``lectern.core.registry.PersonalData``), extra export sections, and the bucket keys of
the user's objects. This module reads the registry and never names a context. Authored
content (courses, lessons, questions) stays when its author leaves: learners rely on it,
and it shows the anonymized name.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from lectern.core.registry import get_registry, resolve
from lectern.db.base import Base


def plain(value: Any) -> Any:
    """A column value as JSON can hold it."""
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


def personal_tables() -> list[tuple[Table, str]]:
    """Every registered personal-data table, with the column naming its user."""
    registry = get_registry()
    registry.load_models()
    return [(Base.metadata.tables[p.table], p.user_column) for p in registry.personal_data]


def _rows(db: Session, table: Table, column: str, user_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = db.execute(select(table).where(table.c[column] == user_id)).mappings()
    return [{k: plain(v) for k, v in row.items() if k != "token_hash"} for row in rows]


def export_learning(db: Session, user_id: uuid.UUID) -> dict[str, Any]:
    data = {table.name: _rows(db, table, column, user_id) for table, column in personal_tables()}
    for section in get_registry().personal_exports:
        data[section.name] = resolve(section.export)(db, user_id)
    return data


def erase_learning(db: Session, user_id: uuid.UUID) -> list[str]:
    """Delete the learner's personal learning records (in the caller's transaction).

    Returns the bucket keys of their objects: the caller deletes those objects with
    the object store's ``delete_objects`` before it commits, so a storage outage leaves
    nothing half-erased.
    """
    registry = get_registry()
    keys = [key for objects in registry.personal_objects for key in resolve(objects)(db, user_id)]
    # Authored content that stays is anonymized first: its hooks may still read the
    # personal rows (a vote's value, to take it off a score) before they go.
    for section in registry.personal_exports:
        if section.erase:
            resolve(section.erase)(db, user_id)
    for table, column in personal_tables():
        db.execute(delete(table).where(table.c[column] == user_id))
    for hook in get_registry().erasure_hooks:
        resolve(hook)(db, user_id)
    return keys

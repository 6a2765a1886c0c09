"""Index entries built from the database, by each entity type's loader (in
``lectern.catalog.search`` and ``lectern.assessment.search``)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import Session

from lectern.assessment.search import question_entries
from lectern.catalog.search import course_entries, lesson_entries
from lectern.search.port import IndexDoc, Key

_LOADERS = {"course": course_entries, "lesson": lesson_entries, "question": question_entries}


def load(db: Session, keys: Iterable[Key]) -> tuple[list[IndexDoc], list[Key]]:
    """The current entries for these keys, and the keys whose object is gone."""
    wanted: defaultdict[str, set[uuid.UUID]] = defaultdict(set)
    for entity_type, entity_id in keys:
        wanted[entity_type].add(entity_id)
    docs: list[IndexDoc] = []
    gone: list[Key] = []
    for entity_type, ids in wanted.items():
        loader = _LOADERS.get(entity_type)
        if loader is None:
            raise ValueError(f"unknown entity type {entity_type!r}")
        found = loader(db, sorted(ids))
        docs += found
        present = {doc.id for doc in found}
        gone += [(entity_type, i) for i in sorted(ids) if i not in present]
    return docs, gone

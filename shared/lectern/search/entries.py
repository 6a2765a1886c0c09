"""Index entries built from the database, by the loaders contexts register.

Each searchable type's loader reads its entries in one query whatever the number of ids
(see ``lectern.core.registry.SearchableType``); an id it does not return is an object
that is gone, whose entry the drain deletes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from lectern.core.registry import get_registry, resolve
from lectern.search.port import IndexDoc, Key


def load(db: Session, keys: Iterable[Key]) -> tuple[list[IndexDoc], list[Key]]:
    """The current entries for these keys, and the keys whose object is gone."""
    wanted: defaultdict[str, set[uuid.UUID]] = defaultdict(set)
    for entity_type, entity_id in keys:
        wanted[entity_type].add(entity_id)
    searchable = get_registry().searchable
    docs: list[IndexDoc] = []
    gone: list[Key] = []
    for entity_type, ids in wanted.items():
        registered = searchable.get(entity_type)
        if registered is None:
            raise ValueError(f"unknown entity type {entity_type!r}")
        found: list[IndexDoc] = resolve(registered.loader)(db, sorted(ids))
        docs += found
        present = {doc.id for doc in found}
        gone += [(entity_type, i) for i in sorted(ids) if i not in present]
    return docs, gone


def dependents(db: Session, keys: Iterable[Key]) -> dict[Key, list[Key]]:
    """For each key whose type has dependents, the entries that carry its fields (a
    course's lessons carry its owner and publication), declared on either side."""
    by_type: defaultdict[str, list[uuid.UUID]] = defaultdict(list)
    for entity_type, entity_id in keys:
        by_type[entity_type].append(entity_id)
    registry = get_registry()
    found: dict[Key, list[Key]] = {}
    for entity_type, ids in by_type.items():
        if entity_type not in registry.searchable:
            continue
        for dependent_type, reference in registry.dependents_of(entity_type).items():
            of: dict[uuid.UUID, Sequence[uuid.UUID]] = resolve(reference)(db, sorted(ids))
            for parent, children in of.items():
                found.setdefault((entity_type, parent), []).extend(
                    (dependent_type, child) for child in children
                )
    return found

"""The full-text search index port: what the drain pushes and what ``GET /v1/search`` asks.

Two adapters sit behind it, chosen by ``LECTERN_SEARCH_BACKEND``: Postgres full-text
(``search_entries``, the default) and Typesense. The entity types are the ones contexts
register (``lectern.core.registry.SearchableType``), each with its ``Visibility``; both
adapters translate those same rules (``rules_for``) into their index query, so ``found``
counts only what the caller may see. Admins see everything.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lectern.core.registry import Visibility, get_registry

# A registered searchable type's name ("course", "lesson", "question", ...).
EntityType = str
# (entity type, id): how the drain and the adapters name one index entry.
Key = tuple[str, uuid.UUID]
# An entry's body is capped: a lesson holds at most 200,000 characters through the API,
# and a row written some other way must still fit what a tsvector or a Typesense
# document can take.
MAX_BODY = 200_000

# Highlight markers the adapters ask for; ``safe_snippet`` escapes the text around them
# and turns them into <mark> tags, so a snippet never carries a lesson's own markup.
MARK_START = "\x02"
MARK_END = "\x03"


@dataclass(frozen=True)
class IndexDoc:
    """One searchable object as the index holds it: its text and its visibility fields."""

    type: EntityType
    id: uuid.UUID
    title: str
    body: str
    course_id: uuid.UUID | None
    owner_id: uuid.UUID
    published: bool

    @property
    def key(self) -> Key:
        return (self.type, self.id)

    @property
    def doc_id(self) -> str:
        return doc_id(self.type, self.id)


def doc_id(entity_type: str, entity_id: uuid.UUID) -> str:
    return f"{entity_type}:{entity_id}"


@dataclass(frozen=True)
class Viewer:
    """Who is searching, with what visibility needs: read once per request."""

    user_id: uuid.UUID | None = None
    is_admin: bool = False
    enrolled_course_ids: tuple[uuid.UUID, ...] = field(default_factory=tuple)

    @property
    def anonymous(self) -> bool:
        return self.user_id is None


@dataclass(frozen=True)
class Hit:
    type: EntityType
    id: uuid.UUID
    title: str
    snippet: str
    score: float


class SearchIndex(Protocol):
    """What the drain and the search route need from a full-text index."""

    def ensure_schema(self, synonyms: Mapping[str, str]) -> None:
        """Create the collection and push the synonyms (typo → word), when the index has any."""

    def upsert(self, docs: Sequence[IndexDoc]) -> dict[Key, str]:
        """Write these entries; return the ones the index refused, with its reason.

        Raises ``DependencyUnavailable`` when the index cannot be reached at all.
        """

    def delete(self, keys: Sequence[Key]) -> None:
        """Remove these entries; an entry already gone is not an error."""

    def search(
        self, query: str, types: Sequence[EntityType], viewer: Viewer, limit: int
    ) -> tuple[list[Hit], int]:
        """The best ``limit`` hits the viewer may see, and how many they may see in all."""

    def check(self) -> None:
        """Raise if the index cannot serve (for GET /v1/health)."""


def entity_types() -> tuple[EntityType, ...]:
    """Every registered searchable type, by name."""
    return tuple(sorted(get_registry().searchable))


def rules_for(types: Sequence[EntityType]) -> dict[EntityType, Visibility]:
    """The visibility rule of each of these types (an unknown type is a ``KeyError``)."""
    searchable = get_registry().searchable
    return {t: searchable[t].visibility for t in types}


def join_text(*parts: str | None) -> str:
    """The non-empty parts of an entry's body, a line each."""
    return "\n".join(p for p in parts if p)


def safe_snippet(marked: str) -> str:
    """HTML-escape a snippet, then turn the adapters' markers into <mark> tags."""
    escaped = html.escape(marked, quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")

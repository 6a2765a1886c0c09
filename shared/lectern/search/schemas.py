"""What ``GET /v1/search`` answers: hits the caller may see, and how many there are."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from lectern.search.port import entity_types

MAX_QUERY = 200
MAX_LIMIT = 50
DEFAULT_LIMIT = 20

if TYPE_CHECKING:
    SearchType = str
else:
    # The registered searchable types, as the enum the spec shows for ``type``.
    SearchType = Literal[entity_types()]


class SearchHitOut(BaseModel):
    type: SearchType
    id: uuid.UUID
    title: str
    snippet: str = Field(
        description="Plain text, HTML-escaped, with the matched words in <mark> tags."
    )
    score: float = Field(description="Relevance: higher is better; comparable within one answer.")


class SearchOut(BaseModel):
    hits: list[SearchHitOut]
    found: int = Field(description="How many matches the caller may see, beyond this page.")

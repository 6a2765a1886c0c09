"""What a chunk of text came from: apart from the models, so schemas use it without them
(and without pgvector)."""

from __future__ import annotations

import enum


class ChunkSource(enum.StrEnum):
    lesson = "lesson"
    document = "document"

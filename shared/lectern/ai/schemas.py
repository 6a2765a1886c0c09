"""What clients send to semantic search, ask and conversations, and what they get back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lectern.ai.roles import ChatRole
from lectern.documents.sources import ChunkSource

DEFAULT_K = 10
MAX_K = 50

# Leading and trailing blanks are dropped before the length check, so "   " is refused.
Query = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class SemanticSearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Query
    k: Annotated[int, Field(ge=1, le=MAX_K, strict=True)] = DEFAULT_K
    course_id: uuid.UUID | None = None


class SemanticHit(BaseModel):
    chunk_id: uuid.UUID
    source_type: ChunkSource
    # The document or lesson the chunk was cut from.
    source_id: uuid.UUID
    content: str
    # Cosine similarity, 1 for the same direction; hits come best first.
    score: float


class SemanticSearchOut(BaseModel):
    hits: list[SemanticHit]


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Question
    course_id: uuid.UUID | None = None


class Citation(BaseModel):
    source_type: ChunkSource
    source_id: uuid.UUID
    chunk_id: uuid.UUID


class AskUsage(BaseModel):
    tokens: int
    input_tokens: int
    output_tokens: int
    cost_cents: float


class AskOut(BaseModel):
    answer: str
    citations: list[Citation]
    usage: AskUsage


class AiUsageOut(BaseModel):
    month: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])]
    requests: int
    tokens: int
    cost_cents: float
    # Ask requests the caller's plan allows per UTC month.
    limit: int


# --- conversations ---

MAX_CHAT_TITLE = 200
MAX_MESSAGE = 4000
ChatTitle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHAT_TITLE)
]
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE)
]


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: ChatTitle | None = Field(default=None, description="Default: the first message.")
    course_id: uuid.UUID | None = Field(
        default=None, description="Answers then draw only on what this course lets you see."
    )


class ChatOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str | None
    course_id: uuid.UUID | None
    message_count: int
    created_at: datetime
    updated_at: datetime


class ChatMessageOut(BaseModel):
    role: ChatRole
    content: str
    citations: list[Citation]
    created_at: datetime


class ChatDetailOut(ChatOut):
    messages: list[ChatMessageOut]


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: MessageText


class MessageOut(BaseModel):
    message: ChatMessageOut
    usage: AskUsage

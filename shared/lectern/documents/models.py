"""Documents, and the chunks of text cut from documents and lessons, with their vectors.

A chunk records the embedding model that made its vector (``embedding_models``). The
vector column has no fixed size: each model gets its own HNSW index, a partial expression
index cast to the model's dimensions (see ``lectern.embeddings.registry``), so a new
model is a re-embed, not a migration.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column
from lectern.documents.sources import ChunkSource


class DocumentStatus(enum.StrEnum):
    pending = "pending"  # presigned URL handed out; bytes not yet checked
    processing = "processing"  # object checked and queued for ingest
    ready = "ready"
    failed = "failed"


document_status_enum = Enum(
    DocumentStatus, name="document_status", values_callable=lambda e: [m.value for m in e]
)


chunk_source_enum = Enum(
    ChunkSource, name="chunk_source", values_callable=lambda e: [m.value for m in e]
)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_owner_id_created_at", "owner_id", "created_at", "id"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("chunk_count >= 0", name="chunk_count_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="SET NULL"), index=True
    )
    # The client's name for the file, for display only: the object key is the server's.
    filename: Mapped[str] = mapped_column(Text, nullable=False)
    content_type: Mapped[str] = mapped_column(Text, nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    object_key: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    status: Mapped[DocumentStatus] = mapped_column(
        document_status_enum, nullable=False, server_default=DocumentStatus.pending.value
    )
    # A reason the owner can read, when status is failed.
    error: Mapped[str | None] = mapped_column(Text)
    # ETag of the object as checked at completion, and of the version whose chunks exist:
    # ingest is idempotent by (document, ETag).
    etag: Mapped[str | None] = mapped_column(Text)
    processed_etag: Mapped[str | None] = mapped_column(Text)
    chunk_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    page_count: Mapped[int | None] = mapped_column(Integer)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class EmbeddingModel(Base):
    __tablename__ = "embedding_models"
    __table_args__ = (CheckConstraint("dimensions BETWEEN 1 AND 2000", name="dimensions_range"),)

    id: Mapped[int] = mapped_column(SmallInteger, Identity(), primary_key=True)
    # e.g. "local-hash-v2-256", "amazon.titan-embed-text-v2:0/1024", "text-embedding-3-small/1536"
    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    provider: Mapped[str] = mapped_column(Text, nullable=False)
    dimensions: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class Chunk(Base):
    __tablename__ = "chunks"
    __table_args__ = (
        CheckConstraint(
            "(source_type = 'document') = (document_id IS NOT NULL)"
            " AND (source_type = 'lesson') = (lesson_id IS NOT NULL)",
            name="one_source",
        ),
        CheckConstraint("position >= 0", name="position_not_negative"),
        UniqueConstraint("document_id", "model_id", "position"),
        UniqueConstraint("lesson_id", "model_id", "position"),
        Index("ix_chunks_owner_id", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    source_type: Mapped[ChunkSource] = mapped_column(chunk_source_enum, nullable=False)
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("documents.id", ondelete="CASCADE")
    )
    lesson_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("lessons.id", ondelete="CASCADE")
    )
    # Visibility, denormalized from the source: a lesson's course, a document's owner.
    # SET NULL: a lesson's chunks go with the lesson anyway, and a document's chunks must
    # outlive the course it was filed under, as the document does.
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    token_count: Mapped[int] = mapped_column(Integer, nullable=False)
    # The source's version these chunks were cut from: a document's ETag, a lesson's hash.
    source_version: Mapped[str] = mapped_column(Text, nullable=False)
    model_id: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("embedding_models.id"), nullable=False
    )
    embedding: Mapped[list[float]] = mapped_column(Vector(), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class LessonResource(Base):
    """A ready document its owner attached to a lesson of their course: the course's
    enrolled learners may list and download it, and its chunks answer their semantic
    searches and asks (``lectern.ai.retrieval``) for as long as it stays attached and
    they stay enrolled. The course is kept beside the lesson for that filter."""

    __tablename__ = "lesson_resources"
    __table_args__ = (
        UniqueConstraint("lesson_id", "document_id"),
        Index("ix_lesson_resources_course_id_document_id", "course_id", "document_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    lesson_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("lessons.id", ondelete="CASCADE"), nullable=False
    )
    course_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE"), nullable=False
    )
    # Deleting (or erasing) the document detaches it everywhere.
    document_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("documents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    created_at: Mapped[datetime] = created_at_column()

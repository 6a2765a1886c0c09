"""Full-text search: the outbox that carries changes to the index, and the Postgres index.

A write to a course, lesson or question adds an ``outbox`` row in its own transaction;
the scheduled ``search_sync`` function drains it into the index (``search_entries`` for
the Postgres adapter, a collection for Typesense) and relays ``embed`` rows to the
ingest queue, so a lost message or an index outage only delays the change.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Index,
    Text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.db.base import Base, updated_at_column


class SearchEntry(Base):
    """The Postgres full-text adapter's index: one row per searchable object."""

    __tablename__ = "search_entries"
    __table_args__ = (
        # entity_type is a registered searchable type: the database's check constraint
        # (ck_<table>_entity_type_known, widened by the migration of a context that
        # registers one) is compared with the registry by a test, not declared here.
        # No pending list: fresh rows would sit in it, scanned by every query until a
        # vacuum, and searches are far more frequent than index writes.
        Index(
            "ix_search_entries_document",
            "document",
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ),
        Index("ix_search_entries_course_id", "course_id"),
        Index("ix_search_entries_owner_id", "owner_id"),
    )

    entity_type: Mapped[str] = mapped_column(Text, primary_key=True)
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # Visibility, as the drain last saw it (see lectern.search.visibility).
    course_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    published: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # Title weighs more than body (A over B) in ts_rank.
    document: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english'::regconfig, title), 'A')"
            " || setweight(to_tsvector('english'::regconfig, body), 'B')",
            persisted=True,
        ),
        nullable=False,
    )
    updated_at: Mapped[datetime] = updated_at_column()


class SearchSynonym(Base):
    """A word students type, and the word the index knows: common typos and variants."""

    __tablename__ = "search_synonyms"
    __table_args__ = (CheckConstraint("term = lower(term)", name="term_lower_case"),)

    term: Mapped[str] = mapped_column(Text, primary_key=True)
    replacement: Mapped[str] = mapped_column(Text, nullable=False)

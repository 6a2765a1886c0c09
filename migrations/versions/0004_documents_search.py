"""Documents, chunks and embeddings, AI usage, the search outbox and full-text index.

Revision ID: 0004_documents_search
Revises: 0003_analytics
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision: str = "0004_documents_search"
down_revision: str | None = "0003_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Words students often type for the words lessons use: typos and spelling variants.
SYNONYMS = [
    ("mitosys", "mitosis"),
    ("meiosys", "meiosis"),
    ("photosynthesys", "photosynthesis"),
    ("fotosynthesis", "photosynthesis"),
    ("mitocondria", "mitochondria"),
    ("mitochondira", "mitochondria"),
    ("nucleas", "nucleus"),
    ("protien", "protein"),
    ("protiens", "proteins"),
    ("enzime", "enzyme"),
    ("enzimes", "enzymes"),
    ("chromosone", "chromosome"),
    ("chromosones", "chromosomes"),
    ("ribosone", "ribosome"),
    ("membrain", "membrane"),
    ("cytoplasim", "cytoplasm"),
    ("algoritm", "algorithm"),
    ("algorythm", "algorithm"),
    ("equasion", "equation"),
    ("grammer", "grammar"),
    ("physiologie", "physiology"),
    ("colour", "color"),
    ("centre", "center"),
    ("analyse", "analyze"),
]


def upgrade() -> None:
    op.create_table(
        "embedding_models",
        sa.Column("id", sa.SmallInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "dimensions BETWEEN 1 AND 2000", name=op.f("ck_embedding_models_dimensions_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embedding_models")),
        sa.UniqueConstraint("name", name=op.f("uq_embedding_models_name")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "available_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "entity_type IN ('course', 'lesson', 'question')",
            name=op.f("ck_outbox_entity_type_known"),
        ),
        sa.CheckConstraint("topic IN ('search', 'embed')", name=op.f("ck_outbox_topic_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_topic_available_at_id", "outbox", ["topic", "available_at", "id"], unique=False
    )
    op.create_table(
        "search_entries",
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column(
            "document",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english'::regconfig, title), 'A') || setweight(to_tsvector('english'::regconfig, body), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "entity_type IN ('course', 'lesson', 'question')",
            name=op.f("ck_search_entries_entity_type_known"),
        ),
        sa.PrimaryKeyConstraint("entity_type", "entity_id", name=op.f("pk_search_entries")),
    )
    op.create_index("ix_search_entries_course_id", "search_entries", ["course_id"], unique=False)
    op.create_index(
        "ix_search_entries_document",
        "search_entries",
        ["document"],
        unique=False,
        postgresql_using="gin",
        postgresql_with={"fastupdate": "off"},
    )
    op.create_index("ix_search_entries_owner_id", "search_entries", ["owner_id"], unique=False)
    op.create_table(
        "search_synonyms",
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("replacement", sa.Text(), nullable=False),
        sa.CheckConstraint("term = lower(term)", name=op.f("ck_search_synonyms_term_lower_case")),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_synonyms")),
    )
    op.create_table(
        "ai_usage",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_cents", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ai_usage_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_usage")),
    )
    op.create_index("ix_ai_usage_user_id_month", "ai_usage", ["user_id", "month"], unique=False)
    op.create_table(
        "ai_usage_monthly",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("requests", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "cost_cents",
            sa.Numeric(precision=14, scale=4),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("requests >= 0", name=op.f("ck_ai_usage_monthly_requests_not_negative")),
        sa.CheckConstraint("tokens >= 0", name=op.f("ck_ai_usage_monthly_tokens_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ai_usage_monthly_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "month", name=op.f("pk_ai_usage_monthly")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "processing", "ready", "failed", name="document_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("processed_etag", sa.Text(), nullable=True),
        sa.Column("chunk_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("chunk_count >= 0", name=op.f("ck_documents_chunk_count_not_negative")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_documents_size_positive")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_documents_course_id_courses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_documents_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("object_key", name=op.f("uq_documents_object_key")),
    )
    op.create_index(op.f("ix_documents_course_id"), "documents", ["course_id"], unique=False)
    op.create_index(
        "ix_documents_owner_id_created_at",
        "documents",
        ["owner_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "chunks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "source_type", sa.Enum("lesson", "document", name="chunk_source"), nullable=False
        ),
        sa.Column("document_id", sa.UUID(), nullable=True),
        sa.Column("lesson_id", sa.UUID(), nullable=True),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("token_count", sa.Integer(), nullable=False),
        sa.Column("source_version", sa.Text(), nullable=False),
        sa.Column("model_id", sa.SmallInteger(), nullable=False),
        sa.Column("embedding", Vector(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(source_type = 'document') = (document_id IS NOT NULL) AND (source_type = 'lesson') = (lesson_id IS NOT NULL)",
            name=op.f("ck_chunks_one_source"),
        ),
        sa.CheckConstraint("position >= 0", name=op.f("ck_chunks_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_chunks_course_id_courses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_chunks_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_chunks_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["embedding_models.id"], name=op.f("fk_chunks_model_id_embedding_models")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_chunks_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chunks")),
        sa.UniqueConstraint(
            "document_id",
            "model_id",
            "position",
            name=op.f("uq_chunks_document_id_model_id_position"),
        ),
        sa.UniqueConstraint(
            "lesson_id", "model_id", "position", name=op.f("uq_chunks_lesson_id_model_id_position")
        ),
    )
    op.create_index(op.f("ix_chunks_course_id"), "chunks", ["course_id"], unique=False)
    op.create_index("ix_chunks_owner_id", "chunks", ["owner_id"], unique=False)
    op.add_column("profiles", sa.Column("plan", sa.Text(), server_default="free", nullable=False))
    op.create_check_constraint(
        op.f("ck_profiles_plan_known"), "profiles", "plan IN ('free', 'pro')"
    )
    # What exists already reaches the index and the embedder by the same outbox.
    op.execute(
        "INSERT INTO outbox (topic, entity_type, entity_id)"
        " SELECT 'search', 'course', id FROM courses"
        " UNION ALL SELECT t.topic, 'lesson', l.id"
        " FROM lessons AS l CROSS JOIN (VALUES ('search'), ('embed')) AS t(topic)"
        " UNION ALL SELECT 'search', 'question', id FROM questions"
    )
    op.bulk_insert(
        sa.table(
            "search_synonyms", sa.column("term", sa.Text()), sa.column("replacement", sa.Text())
        ),
        [{"term": term, "replacement": replacement} for term, replacement in SYNONYMS],
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_profiles_plan_known"), "profiles", type_="check")
    op.drop_column("profiles", "plan")
    op.drop_index("ix_chunks_owner_id", table_name="chunks")
    op.drop_index(op.f("ix_chunks_course_id"), table_name="chunks")
    op.drop_table("chunks")
    op.drop_index("ix_documents_owner_id_created_at", table_name="documents")
    op.drop_index(op.f("ix_documents_course_id"), table_name="documents")
    op.drop_table("documents")
    op.drop_table("ai_usage_monthly")
    op.drop_index("ix_ai_usage_user_id_month", table_name="ai_usage")
    op.drop_table("ai_usage")
    op.drop_table("search_synonyms")
    op.drop_index("ix_search_entries_owner_id", table_name="search_entries")
    op.drop_index("ix_search_entries_document", table_name="search_entries", postgresql_using="gin")
    op.drop_index("ix_search_entries_course_id", table_name="search_entries")
    op.drop_table("search_entries")
    op.drop_index("ix_outbox_topic_available_at_id", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("embedding_models")
    sa.Enum(name="chunk_source").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="document_status").drop(op.get_bind(), checkfirst=True)

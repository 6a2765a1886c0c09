"""Study and conversation: flashcards and notes with their FSRS state, every review kept
(unique by client id and by reviewed time per card); AI chats and their messages.

Revision ID: 0010_study_chats
Revises: 0009_instructor_views
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_study_chats"
down_revision: str | None = "0009_instructor_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENUMS = {
    "study_item_type": ("flashcard", "note"),
    "study_card_state": ("new", "learning", "review", "relearning"),
    "study_rating": ("again", "hard", "good", "easy"),
    "ai_chat_role": ("user", "assistant"),
}


def _enum(name: str) -> postgresql.ENUM:
    return postgresql.ENUM(name=name, create_type=False)


def upgrade() -> None:
    # Made once here: a type used by several columns would otherwise be made twice.
    for name, values in ENUMS.items():
        postgresql.ENUM(*values, name=name).create(op.get_bind(), checkfirst=True)
    op.create_table(
        "study_items",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("type", _enum("study_item_type"), nullable=False),
        sa.Column("front", sa.Text(), nullable=True),
        sa.Column("back", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("course_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("lesson_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("document_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("source_chunk_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("generated_by", sa.Text(), nullable=True),
        sa.Column("state", _enum("study_card_state"), nullable=True),
        sa.Column("step", sa.SmallInteger(), nullable=True),
        sa.Column("stability", sa.Double(), nullable=True),
        sa.Column("difficulty", sa.Double(), nullable=True),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reps", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lapses", sa.Integer(), server_default=sa.text("0"), nullable=False),
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
        sa.CheckConstraint(
            "type <> 'flashcard' OR (front IS NOT NULL AND back IS NOT NULL AND state IS NOT NULL AND due IS NOT NULL)",
            name=op.f("ck_study_items_flashcard_fields"),
        ),
        sa.CheckConstraint(
            "type <> 'note' OR (content IS NOT NULL AND state IS NULL)",
            name=op.f("ck_study_items_note_fields"),
        ),
        sa.CheckConstraint(
            "reps >= 0 AND lapses >= 0", name=op.f("ck_study_items_counts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_study_items_course_id_courses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_study_items_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_study_items_lesson_id_lessons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_chunk_id"],
            ["chunks.id"],
            name=op.f("fk_study_items_source_chunk_id_chunks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_study_items_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_items")),
    )
    op.create_index(op.f("ix_study_items_course_id"), "study_items", ["course_id"], unique=False)
    op.create_index(
        op.f("ix_study_items_document_id"), "study_items", ["document_id"], unique=False
    )
    op.create_index(op.f("ix_study_items_lesson_id"), "study_items", ["lesson_id"], unique=False)
    op.create_index(
        op.f("ix_study_items_source_chunk_id"), "study_items", ["source_chunk_id"], unique=False
    )
    op.create_index(
        "ix_study_items_tags", "study_items", ["tags"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_study_items_user_id_created_at",
        "study_items",
        ["user_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_study_items_user_id_due",
        "study_items",
        ["user_id", "due"],
        unique=False,
        postgresql_where=sa.text("state IS NOT NULL AND state <> 'new'"),
    )
    op.create_index(
        "ix_study_items_user_id_new",
        "study_items",
        ["user_id", "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("state = 'new'"),
    )
    op.create_table(
        "study_reviews",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("item_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=True),
        sa.Column("rating", _enum("study_rating"), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("state_before", _enum("study_card_state"), nullable=False),
        sa.Column("step_before", sa.SmallInteger(), nullable=True),
        sa.Column("stability_before", sa.Double(), nullable=True),
        sa.Column("difficulty_before", sa.Double(), nullable=True),
        sa.Column("due_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_after", _enum("study_card_state"), nullable=False),
        sa.Column("step_after", sa.SmallInteger(), nullable=True),
        sa.Column("stability_after", sa.Double(), nullable=False),
        sa.Column("difficulty_after", sa.Double(), nullable=False),
        sa.Column("due_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_ms IS NULL OR duration_ms >= 0",
            name=op.f("ck_study_reviews_duration_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["study_items.id"],
            name=op.f("fk_study_reviews_item_id_study_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_study_reviews_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_reviews")),
        sa.UniqueConstraint(
            "item_id", "client_id", name=op.f("uq_study_reviews_item_id_client_id")
        ),
        sa.UniqueConstraint(
            "item_id", "reviewed_at", name=op.f("uq_study_reviews_item_id_reviewed_at")
        ),
    )
    op.create_index(
        "ix_study_reviews_user_id_reviewed_at",
        "study_reviews",
        ["user_id", "reviewed_at"],
        unique=False,
    )
    op.create_table(
        "ai_chats",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("course_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("message_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("context_vector", postgresql.ARRAY(sa.REAL()), nullable=True),
        sa.Column("context_model_id", sa.SmallInteger(), nullable=True),
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
        sa.CheckConstraint(
            "message_count >= 0", name=op.f("ck_ai_chats_message_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["context_model_id"],
            ["embedding_models.id"],
            name=op.f("fk_ai_chats_context_model_id_embedding_models"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_ai_chats_course_id_courses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ai_chats_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_chats")),
    )
    op.create_index(op.f("ix_ai_chats_course_id"), "ai_chats", ["course_id"], unique=False)
    op.create_index(
        "ix_ai_chats_user_id_created_at", "ai_chats", ["user_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "ai_chat_messages",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("chat_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", _enum("ai_chat_role"), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "citations",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("position >= 0", name=op.f("ck_ai_chat_messages_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["ai_chats.id"],
            name=op.f("fk_ai_chat_messages_chat_id_ai_chats"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ai_chat_messages_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_chat_messages")),
        sa.UniqueConstraint(
            "chat_id", "position", name=op.f("uq_ai_chat_messages_chat_id_position")
        ),
    )
    op.create_index(
        op.f("ix_ai_chat_messages_user_id"), "ai_chat_messages", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ai_chat_messages_user_id"), table_name="ai_chat_messages")
    op.drop_table("ai_chat_messages")
    op.drop_index("ix_ai_chats_user_id_created_at", table_name="ai_chats")
    op.drop_index(op.f("ix_ai_chats_course_id"), table_name="ai_chats")
    op.drop_table("ai_chats")
    op.drop_index("ix_study_reviews_user_id_reviewed_at", table_name="study_reviews")
    op.drop_table("study_reviews")
    op.drop_index(
        "ix_study_items_user_id_new",
        table_name="study_items",
        postgresql_where=sa.text("state = 'new'"),
    )
    op.drop_index(
        "ix_study_items_user_id_due",
        table_name="study_items",
        postgresql_where=sa.text("state IS NOT NULL AND state <> 'new'"),
    )
    op.drop_index("ix_study_items_user_id_created_at", table_name="study_items")
    op.drop_index("ix_study_items_tags", table_name="study_items", postgresql_using="gin")
    op.drop_index(op.f("ix_study_items_source_chunk_id"), table_name="study_items")
    op.drop_index(op.f("ix_study_items_lesson_id"), table_name="study_items")
    op.drop_index(op.f("ix_study_items_document_id"), table_name="study_items")
    op.drop_index(op.f("ix_study_items_course_id"), table_name="study_items")
    op.drop_table("study_items")
    for name in ENUMS:
        postgresql.ENUM(name=name).drop(op.get_bind(), checkfirst=True)

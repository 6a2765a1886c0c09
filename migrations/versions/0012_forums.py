"""Forums: threads, replies (one level), votes with their scores on the posts, follows
and flags; threads join the search index (``type=thread``).

Revision ID: 0012_forums
Revises: 0011_notifications
Create Date: 2027-01-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_forums"
down_revision: str | None = "0011_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHABLE = "'course', 'lesson', 'question'"
RELAYED = "'notification', 'notification_digest'"


def _entity_type_checks(searchable: str) -> None:
    for table, extra in (("outbox", f", {RELAYED}"), ("search_entries", "")):
        name = op.f(f"ck_{table}_entity_type_known")
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, f"entity_type IN ({searchable}{extra})")


def upgrade() -> None:
    op.create_table(
        "forum_threads",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("score", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reply_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pinned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("closed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
        sa.Column(
            "last_activity_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "reply_count >= 0", name=op.f("ck_forum_threads_reply_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_forum_threads_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_forum_threads_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_threads")),
    )
    op.create_index("ix_forum_threads_author_id", "forum_threads", ["author_id"], unique=False)
    op.create_index(
        "ix_forum_threads_recent",
        "forum_threads",
        ["course_id", "pinned", "last_activity_at", "id"],
        unique=False,
    )
    # sort=top reads the score counter through this index, pinned first, live threads only.
    op.create_index(
        "ix_forum_threads_top",
        "forum_threads",
        ["course_id", "pinned", "score", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_forum_threads_unanswered",
        "forum_threads",
        ["course_id", "pinned", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL AND reply_count = 0"),
    )
    op.create_table(
        "forum_follows",
        sa.Column("thread_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_follows_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_forum_follows_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", "user_id", name=op.f("pk_forum_follows")),
    )
    op.create_index("ix_forum_follows_user_id", "forum_follows", ["user_id"], unique=False)
    op.create_table(
        "forum_replies",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("thread_id", sa.UUID(), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("score", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("endorsed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_forum_replies_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["forum_replies.id"],
            name=op.f("fk_forum_replies_parent_id_forum_replies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_replies_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_replies")),
    )
    op.create_index("ix_forum_replies_author_id", "forum_replies", ["author_id"], unique=False)
    op.create_index("ix_forum_replies_parent_id", "forum_replies", ["parent_id"], unique=False)
    op.create_index(
        "ix_forum_replies_thread_id_endorsed_created_at_id",
        "forum_replies",
        ["thread_id", "endorsed", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "forum_thread_votes",
        sa.Column("thread_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_forum_thread_votes_value_known")),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_thread_votes_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_forum_thread_votes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", "user_id", name=op.f("pk_forum_thread_votes")),
    )
    op.create_index(
        "ix_forum_thread_votes_user_id", "forum_thread_votes", ["user_id"], unique=False
    )
    op.create_table(
        "forum_flags",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("thread_id", sa.UUID(), nullable=False),
        sa.Column("reply_id", sa.UUID(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_forum_flags_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["forum_replies.id"],
            name=op.f("fk_forum_flags_reply_id_forum_replies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_threads.id"],
            name=op.f("fk_forum_flags_thread_id_forum_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_forum_flags_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_flags")),
    )
    op.create_index(
        "ix_forum_flags_course_id_created_at_id",
        "forum_flags",
        ["course_id", "created_at", "id"],
        unique=False,
    )
    op.create_index("ix_forum_flags_reply_id", "forum_flags", ["reply_id"], unique=False)
    op.create_index("ix_forum_flags_thread_id", "forum_flags", ["thread_id"], unique=False)
    op.create_index(
        "uq_forum_flags_user_id_reply_id",
        "forum_flags",
        ["user_id", "reply_id"],
        unique=True,
        postgresql_where=sa.text("reply_id IS NOT NULL"),
    )
    op.create_index(
        "uq_forum_flags_user_id_thread_id",
        "forum_flags",
        ["user_id", "thread_id"],
        unique=True,
        postgresql_where=sa.text("reply_id IS NULL"),
    )
    op.create_table(
        "forum_reply_votes",
        sa.Column("reply_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_forum_reply_votes_value_known")),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["forum_replies.id"],
            name=op.f("fk_forum_reply_votes_reply_id_forum_replies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_forum_reply_votes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reply_id", "user_id", name=op.f("pk_forum_reply_votes")),
    )
    op.create_index("ix_forum_reply_votes_user_id", "forum_reply_votes", ["user_id"], unique=False)
    _entity_type_checks(f"{SEARCHABLE}, 'thread'")


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE entity_type = 'thread'")
    op.execute("DELETE FROM search_entries WHERE entity_type = 'thread'")
    _entity_type_checks(SEARCHABLE)
    op.drop_table("forum_reply_votes")
    op.drop_table("forum_flags")
    op.drop_table("forum_thread_votes")
    op.drop_table("forum_replies")
    op.drop_table("forum_follows")
    op.drop_table("forum_threads")

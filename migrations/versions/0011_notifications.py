"""Notifications: the inbox, its unread counters and the preferences per type; the
outbox carries mail for the relay worker (topic ``mail``).

Revision ID: 0011_notifications
Revises: 0010_study_chats
Create Date: 2027-01-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_notifications"
down_revision: str | None = "0010_study_chats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHABLE = "'course', 'lesson', 'question'"


def _outbox_checks(topics: str, entity_types: str) -> None:
    op.drop_constraint(op.f("ck_outbox_topic_known"), "outbox", type_="check")
    op.create_check_constraint(op.f("ck_outbox_topic_known"), "outbox", f"topic IN ({topics})")
    op.drop_constraint(op.f("ck_outbox_entity_type_known"), "outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_outbox_entity_type_known"), "outbox", f"entity_type IN ({entity_types})"
    )


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("in_app", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("digest_due", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("digest_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_user_id_created_at_id",
        "notifications",
        ["user_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id", "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("in_app AND read_at IS NULL"),
    )
    op.create_index(
        "ix_notifications_digest_due",
        "notifications",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("digest_due"),
    )
    op.create_index(
        "ix_notifications_digest_id",
        "notifications",
        ["digest_id"],
        unique=False,
        postgresql_where=sa.text("digest_id IS NOT NULL"),
    )
    op.create_table(
        "notification_counters",
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("unread", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "unread >= 0", name=op.f("ck_notification_counters_unread_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_counters_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_counters")),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "email IN ('off', 'immediate', 'daily')",
            name=op.f("ck_notification_preferences_email_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "type", name=op.f("pk_notification_preferences")),
    )
    _outbox_checks(
        "'search', 'embed', 'mail'", f"{SEARCHABLE}, 'notification', 'notification_digest'"
    )


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE topic = 'mail'")
    _outbox_checks("'search', 'embed'", SEARCHABLE)
    op.drop_table("notification_preferences")
    op.drop_table("notification_counters")
    op.drop_table("notifications")

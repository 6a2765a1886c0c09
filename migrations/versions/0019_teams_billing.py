"""Teams (members and roles, assigned courses, invitations) and billing (subscriptions
from Polar's webhooks, and the deliveries seen); the outbox carries invitation mail for
the relay (topic ``team_mail``).

Revision ID: 0019_teams_billing
Revises: 0007_exam_hot_paths
Create Date: 2027-01-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_teams_billing"
down_revision: str | None = "0007_exam_hot_paths"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOPICS = "'search', 'embed', 'mail'"
ENTITY_TYPES = "'course', 'lesson', 'question', 'thread', 'notification', 'notification_digest'"


def _outbox_checks(topics: str, entity_types: str) -> None:
    op.drop_constraint(op.f("ck_outbox_topic_known"), "outbox", type_="check")
    op.create_check_constraint(op.f("ck_outbox_topic_known"), "outbox", f"topic IN ({topics})")
    op.drop_constraint(op.f("ck_outbox_entity_type_known"), "outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_outbox_entity_type_known"), "outbox", f"entity_type IN ({entity_types})"
    )


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_teams_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'member')", name=op.f("ck_team_members_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_members_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_team_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_members")),
    )
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"])
    op.create_table(
        "team_courses",
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_team_courses_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_courses_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "course_id", name=op.f("pk_team_courses")),
    )
    op.create_index("ix_team_courses_course_id", "team_courses", ["course_id"])
    op.create_table(
        "team_invitations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=True),
        sa.Column("invitee_id", sa.UUID(), nullable=True),
        sa.Column("invited_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_team_invitations_email_lower")),
        sa.CheckConstraint(
            "role IN ('admin', 'member')", name=op.f("ck_team_invitations_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_team_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invitee_id"],
            ["users.id"],
            name=op.f("fk_team_invitations_invitee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_invitations_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_team_invitations_token_hash")),
    )
    op.create_index("ix_team_invitations_email", "team_invitations", ["email"])
    op.create_index("ix_team_invitations_expires_at", "team_invitations", ["expires_at"])
    op.create_index("ix_team_invitations_invitee_id", "team_invitations", ["invitee_id"])
    op.create_index(
        "uq_team_invitations_team_id_email_open",
        "team_invitations",
        ["team_id", "email"],
        unique=True,
        postgresql_where=sa.text("accepted_at IS NULL"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.Text(), server_default="polar", nullable=False),
        sa.Column("provider_subscription_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("billing_period", sa.Text(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("current_period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "cancel_at_period_end", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('individual', 'team')", name=op.f("ck_subscriptions_kind_known")
        ),
        sa.CheckConstraint(
            "seats IS NULL OR seats > 0", name=op.f("ck_subscriptions_seats_positive")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_subscriptions_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_subscriptions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(
        "uq_subscriptions_provider_provider_subscription_id",
        "subscriptions",
        ["provider", "provider_subscription_id"],
        unique=True,
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])
    op.create_index("ix_subscriptions_team_id", "subscriptions", ["team_id"])
    op.create_index(
        "ix_subscriptions_status_created_at_id", "subscriptions", ["status", "created_at", "id"]
    )
    op.create_index("ix_subscriptions_created_at_id", "subscriptions", ["created_at", "id"])
    op.create_table(
        "billing_webhook_deliveries",
        sa.Column("webhook_id", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), server_default="polar", nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("provider_subscription_id", sa.Text(), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_billing_webhook_deliveries")),
    )
    op.create_index(
        "ix_billing_webhook_deliveries_received_at", "billing_webhook_deliveries", ["received_at"]
    )
    _outbox_checks(f"{TOPICS}, 'team_mail'", f"{ENTITY_TYPES}, 'team_invitation'")


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE topic = 'team_mail'")
    _outbox_checks(TOPICS, ENTITY_TYPES)
    op.drop_table("billing_webhook_deliveries")
    op.drop_table("subscriptions")
    op.drop_table("team_invitations")
    op.drop_table("team_courses")
    op.drop_table("team_members")
    op.drop_table("teams")

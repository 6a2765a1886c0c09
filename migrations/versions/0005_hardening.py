"""Hardening: verified emails, leaderboard opt-out, who issued a certificate, and the
platform's monthly AI spend.

Revision ID: 0005_hardening
Revises: 0004_documents_search
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_hardening"
down_revision: str | None = "0004_documents_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True)))
    op.add_column(
        "profiles",
        sa.Column(
            "leaderboard_visible", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
    )
    op.add_column("certificates", sa.Column("issued_by", postgresql.UUID(as_uuid=True)))
    op.create_foreign_key(
        op.f("fk_certificates_issued_by_users"),
        "certificates",
        "users",
        ["issued_by"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_table(
        "ai_spend_monthly",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("cost_cents", sa.Numeric(16, 4), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("cost_cents >= 0", name=op.f("ck_ai_spend_monthly_cost_not_negative")),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_ai_spend_monthly")),
    )
    # The month's spend so far, from the per-learner counters.
    op.execute(
        "INSERT INTO ai_spend_monthly (month, cost_cents)"
        " SELECT month, sum(cost_cents) FROM ai_usage_monthly GROUP BY month"
    )
    # Certificates issued before: their course's owner, where the course still exists.
    op.execute(
        "UPDATE certificates c SET issued_by = co.owner_id FROM courses co WHERE co.id = c.course_id"
    )


def downgrade() -> None:
    op.drop_table("ai_spend_monthly")
    op.drop_constraint(op.f("fk_certificates_issued_by_users"), "certificates", type_="foreignkey")
    op.drop_column("certificates", "issued_by")
    op.drop_column("profiles", "leaderboard_visible")
    op.drop_column("users", "email_verified_at")

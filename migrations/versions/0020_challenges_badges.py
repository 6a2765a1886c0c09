"""Challenges and badges: time-boxed challenges with their entries and the ledger of
what counted toward each score; badges with their rules and their awards (one per
learner and badge), each award the id of a signed Open Badges 3.0 credential.

Revision ID: 0020_challenges_badges
Revises: 0007_exam_hot_paths
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_challenges_badges"
down_revision: str | None = "0007_exam_hot_paths"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "badges",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("rule_type", sa.Text(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column("challenge_id", sa.UUID(), nullable=True),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "challenge_id IS NULL OR rule_type = 'challenge_completed'",
            name=op.f("ck_badges_challenge_only_for_challenges"),
        ),
        sa.CheckConstraint(
            "course_id IS NULL OR rule_type = 'course_completed'",
            name=op.f("ck_badges_course_only_for_courses"),
        ),
        sa.CheckConstraint(
            "rule_type IN ('course_completed', 'challenge_completed', 'streak_days', 'xp')",
            name=op.f("ck_badges_rule_type_known"),
        ),
        sa.CheckConstraint(
            "rule_type NOT IN ('streak_days', 'xp') OR (threshold IS NOT NULL AND threshold > 0)",
            name=op.f("ck_badges_threshold_rules_have_threshold"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_badges_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_badges_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badges")),
    )
    op.create_index("ix_badges_challenge_id", "badges", ["challenge_id"], unique=False)
    op.create_index("ix_badges_course_id", "badges", ["course_id"], unique=False)
    op.create_index("ix_badges_created_at_id", "badges", ["created_at", "id"], unique=False)
    op.create_index("ix_badges_created_by", "badges", ["created_by"], unique=False)
    op.create_index("ix_badges_rule_type", "badges", ["rule_type"], unique=False)
    op.create_table(
        "badge_awards",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("badge_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("identity_salt", sa.Text(), nullable=False),
        sa.Column("identity_hash", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["badge_id"],
            ["badges.id"],
            name=op.f("fk_badge_awards_badge_id_badges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_badge_awards_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_awards")),
        sa.UniqueConstraint("badge_id", "user_id", name="uq_badge_awards_badge_id_user_id"),
    )
    op.create_index(
        "ix_badge_awards_user_id_awarded_at",
        "badge_awards",
        ["user_id", "awarded_at"],
        unique=False,
    )
    op.create_table(
        "challenges",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("difficulty", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("badge_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "difficulty IN ('easy', 'medium', 'hard')", name=op.f("ck_challenges_difficulty_known")
        ),
        sa.CheckConstraint(
            "metric IN ('xp', 'correct_answers', 'lessons_completed')",
            name=op.f("ck_challenges_metric_known"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_challenges_ends_after_start")),
        sa.CheckConstraint("target > 0", name=op.f("ck_challenges_target_positive")),
        sa.ForeignKeyConstraint(
            ["badge_id"],
            ["badges.id"],
            name=op.f("fk_challenges_badge_id_badges"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_challenges_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_challenges_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
    )
    op.create_index("ix_challenges_badge_id", "challenges", ["badge_id"], unique=False)
    op.create_index("ix_challenges_course_id", "challenges", ["course_id"], unique=False)
    op.create_index("ix_challenges_created_by", "challenges", ["created_by"], unique=False)
    op.create_index("ix_challenges_ends_at", "challenges", ["ends_at"], unique=False)
    op.create_index("ix_challenges_starts_at_id", "challenges", ["starts_at", "id"], unique=False)
    op.create_table(
        "challenge_entries",
        sa.Column("challenge_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("score >= 0", name=op.f("ck_challenge_entries_score_not_negative")),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_challenge_entries_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_challenge_entries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("challenge_id", "user_id", name=op.f("pk_challenge_entries")),
    )
    op.create_index(
        "ix_challenge_entries_challenge_id_score",
        "challenge_entries",
        ["challenge_id", sa.literal_column("score DESC"), sa.literal_column("user_id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_challenge_entries_updated_at", "challenge_entries", ["updated_at"], unique=False
    )
    op.create_index(
        "ix_challenge_entries_user_id_challenge_id",
        "challenge_entries",
        ["user_id", "challenge_id"],
        unique=False,
    )
    op.create_table(
        "challenge_credits",
        sa.Column("challenge_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("credited_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_challenge_credits_amount_positive")),
        sa.ForeignKeyConstraint(
            ["challenge_id", "user_id"],
            ["challenge_entries.challenge_id", "challenge_entries.user_id"],
            name="fk_challenge_credits_entry",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "challenge_id", "user_id", "kind", "source_id", name=op.f("pk_challenge_credits")
        ),
    )
    op.create_index("ix_challenge_credits_user_id", "challenge_credits", ["user_id"], unique=False)
    # Badges and challenges name each other (a challenge's badge, a badge's challenge):
    # this side once both tables exist.
    op.create_foreign_key(
        op.f("fk_badges_challenge_id_challenges"),
        "badges",
        "challenges",
        ["challenge_id"],
        ["id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_badges_challenge_id_challenges"), "badges", type_="foreignkey")
    op.drop_table("challenge_credits")
    op.drop_table("challenge_entries")
    op.drop_table("challenges")
    op.drop_table("badge_awards")
    op.drop_table("badges")

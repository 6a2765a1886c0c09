"""Challenges and badges: time-boxed challenges with their entries and the ledger of
what counted toward each score; badges with their rules and their awards (one per
learner and badge), each award the id of a signed Open Badges 3.0 credential.

Revision ID: 0020_challenges_badges
Revises: 0019_teams_billing
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_challenges_badges"
down_revision: str | None = "0019_teams_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_HOOK_ARGUMENTS = (
    "p_kinds text[], p_users uuid[], p_sources uuid[], p_amounts integer[],"
    " p_ats timestamptz[], p_courses uuid[], p_subjects uuid[], p_xp integer[],"
    " p_streaks integer[]"
)
_HOOK_TYPES = (
    "text[], uuid[], uuid[], integer[], timestamptz[], uuid[], uuid[], integer[], integer[]"
)

# The challenges' activity hook (lectern.challenges.scoring): each activity inside a
# joined challenge's window, after the join, of its metric (and course: an answer's is
# its question's) becomes a credit keyed by (challenge, learner, kind, source); only the
# credits inserted move the entry's score, under its row lock. Returns the entries moved,
# with whether this call crossed the target.
_CHALLENGE_CREDIT = f"""
CREATE FUNCTION challenge_credit({_HOOK_ARGUMENTS}) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    moved jsonb;
BEGIN
    WITH a AS (
        SELECT * FROM unnest(p_kinds, p_users, p_sources, p_amounts, p_ats, p_courses,
                             p_subjects)
            AS a(kind, user_id, source_id, amount, at, course_id, subject_id)
        WHERE a.amount > 0
    ), credited AS (
        INSERT INTO challenge_credits AS k
            (challenge_id, user_id, kind, source_id, amount, credited_at)
        SELECT e.challenge_id, e.user_id, a.kind, a.source_id, a.amount, a.at
        FROM a
        JOIN challenge_entries e ON e.user_id = a.user_id AND e.joined_at <= a.at
        JOIN challenges c ON c.id = e.challenge_id
        WHERE c.starts_at <= a.at AND a.at < c.ends_at
          AND c.metric = CASE a.kind WHEN 'xp' THEN 'xp'
                                     WHEN 'correct_answer' THEN 'correct_answers'
                                     WHEN 'lesson_completed' THEN 'lessons_completed' END
          AND (c.course_id IS NULL OR c.course_id = a.course_id
               OR (a.course_id IS NULL AND c.course_id =
                   (SELECT q.course_id FROM questions q WHERE q.id = a.subject_id)))
        ON CONFLICT DO NOTHING
        RETURNING k.challenge_id, k.user_id, k.amount, k.credited_at
    ), sums AS (
        SELECT challenge_id, user_id, sum(amount)::integer AS amount, max(credited_at) AS at
        FROM credited GROUP BY challenge_id, user_id
    ), updated AS (
        UPDATE challenge_entries e SET
            score = e.score + s.amount,
            completed_at = CASE WHEN e.completed_at IS NULL AND e.score + s.amount >= c.target
                                THEN s.at ELSE e.completed_at END,
            updated_at = now()
        FROM sums s, challenges c, profiles p
        WHERE e.challenge_id = s.challenge_id AND e.user_id = s.user_id
          AND c.id = s.challenge_id AND p.user_id = e.user_id
        RETURNING e.challenge_id, e.user_id, e.score, c.title, c.ends_at,
                  p.leaderboard_visible AS visible,
                  (e.score - s.amount < c.target AND e.score >= c.target) AS completed_now,
                  e.completed_at
    )
    SELECT jsonb_agg(to_jsonb(u)) INTO moved FROM updated u;
    RETURN moved;
END
$$
"""  # noqa: S608 - constant SQL

# The badges' activity hook (lectern.badges.rules): the badges whose rule the activity
# meets, inserted unless held (the unique (badge, learner) decides a race), the learner
# as SHA-256 of their lower-cased email and a salt of the award's own from
# gen_random_uuid(). The id is a UUIDv7 made here (Postgres 16 has no uuidv7()): the Unix
# milliseconds over a random UUID's first 48 bits, version bits turned from 4 to 7.
_BADGE_AWARD = f"""
CREATE FUNCTION badge_award({_HOOK_ARGUMENTS}) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    awarded jsonb;
BEGIN
    WITH a AS (
        SELECT * FROM unnest(p_kinds, p_users, p_sources, p_ats, p_xp, p_streaks)
            AS a(kind, user_id, source_id, at, xp_total, streak_days)
        WHERE a.kind IN ('xp', 'course_completed', 'challenge_completed')
    ), earned AS (
        SELECT a.user_id, b.id AS badge_id, min(a.at) AS at
        FROM a JOIN badges b ON
            (a.kind = 'xp' AND b.rule_type = 'xp' AND b.threshold <= a.xp_total)
         OR (a.kind = 'xp' AND b.rule_type = 'streak_days' AND b.threshold <= a.streak_days)
         OR (a.kind = 'course_completed' AND b.rule_type = 'course_completed'
             AND (b.course_id IS NULL OR b.course_id = a.source_id))
         OR (a.kind = 'challenge_completed' AND b.rule_type = 'challenge_completed'
             AND (b.challenge_id IS NULL OR b.challenge_id = a.source_id))
         OR (a.kind = 'challenge_completed'
             AND b.id = (SELECT c.badge_id FROM challenges c WHERE c.id = a.source_id))
        WHERE NOT EXISTS (
            SELECT 1 FROM badge_awards x WHERE x.badge_id = b.id AND x.user_id = a.user_id
        )
        GROUP BY a.user_id, b.id
    ), salted AS (
        SELECT e.*, encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex') AS salt
        FROM earned e
    ), inserted AS (
        INSERT INTO badge_awards AS w
            (id, badge_id, user_id, awarded_at, identity_salt, identity_hash)
        SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing
                   substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                   FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid,
               s.badge_id, s.user_id, s.at, s.salt,
               'sha256$' || encode(sha256(convert_to(lower(u.email) || s.salt, 'UTF8')), 'hex')
        FROM salted s JOIN users u ON u.id = s.user_id
        WHERE u.deleted_at IS NULL
        ON CONFLICT (badge_id, user_id) DO NOTHING
        RETURNING w.id, w.badge_id, w.user_id
    )
    SELECT jsonb_agg(jsonb_build_object('id', i.id, 'user_id', i.user_id, 'name', b.name))
    INTO awarded
    FROM inserted i JOIN badges b ON b.id = i.badge_id;
    RETURN awarded;
END
$$
"""  # noqa: S608 - constant SQL


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
    op.execute(_CHALLENGE_CREDIT)
    op.execute(_BADGE_AWARD)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION badge_award({_HOOK_TYPES})")
    op.execute(f"DROP FUNCTION challenge_credit({_HOOK_TYPES})")
    op.drop_constraint(op.f("fk_badges_challenge_id_challenges"), "badges", type_="foreignkey")
    op.drop_table("challenge_credits")
    op.drop_table("challenge_entries")
    op.drop_table("challenges")
    op.drop_table("badge_awards")
    op.drop_table("badges")

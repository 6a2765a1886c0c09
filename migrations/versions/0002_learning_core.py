"""Learning core: catalog, progress and XP, question bank and exams, share links.

Revision ID: 0002_learning_core
Revises: 0001_identity
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_learning_core"
down_revision: str | None = "0001_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_courses_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
    )
    op.create_index(
        "ix_courses_category_listing",
        "courses",
        ["category", "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_index(
        "ix_courses_owner_id_created_at", "courses", ["owner_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_courses_published_listing",
        "courses",
        ["created_at", "id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_index("ix_courses_tags", "courses", ["tags"], unique=False, postgresql_using="gin")
    op.create_table(
        "exams",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("mode", sa.Enum("practice", "exam", name="exam_mode"), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "paused", "completed", name="exam_status"),
            server_default="active",
            nullable=False,
        ),
        sa.Column("adaptive", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "criteria",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("time_limit_seconds", sa.Integer(), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remaining_seconds", sa.Float(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correct_count", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.CheckConstraint("size > 0", name=op.f("ck_exams_size_positive")),
        sa.CheckConstraint(
            "time_limit_seconds IS NULL OR time_limit_seconds > 0",
            name=op.f("ck_exams_time_limit_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_exams_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exams")),
    )
    op.create_index("ix_exams_user_id_created_at", "exams", ["user_id", "created_at"], unique=False)
    op.create_table(
        "learner_stats",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("answered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("correct", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "correct >= 0 AND correct <= answered",
            name=op.f("ck_learner_stats_correct_within_answered"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_learner_stats_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_learner_stats")),
    )
    op.create_table(
        "learner_topic_stats",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("answered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("correct", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "correct >= 0 AND correct <= answered",
            name=op.f("ck_learner_topic_stats_correct_within_answered"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_learner_topic_stats_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "topic", name=op.f("pk_learner_topic_stats")),
    )
    op.create_table(
        "shares",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column(
            "entity_type", sa.Enum("course", "lesson", "exam", name="share_entity"), nullable=False
        ),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_shares_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_shares_token_hash")),
    )
    op.create_index("ix_shares_entity", "shares", ["entity_type", "entity_id"], unique=False)
    op.create_index(
        "ix_shares_owner_id_created_at", "shares", ["owner_id", "created_at"], unique=False
    )
    op.create_table(
        "xp_awards",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column(
            "awarded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_xp_awards_amount_positive")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_xp_awards_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xp_awards")),
        sa.UniqueConstraint(
            "user_id", "reason", "source_id", name=op.f("uq_xp_awards_user_id_reason_source_id")
        ),
    )
    op.create_index("ix_xp_awards_awarded_at", "xp_awards", ["awarded_at"], unique=False)
    op.create_index(
        "ix_xp_awards_user_id_awarded_at", "xp_awards", ["user_id", "awarded_at"], unique=False
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column("course_title", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_certificates_course_id_courses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_certificates_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("user_id", "course_id", name=op.f("uq_certificates_user_id_course_id")),
    )
    op.create_index(op.f("ix_certificates_course_id"), "certificates", ["course_id"], unique=False)
    op.create_table(
        "enrollments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("completed_lessons", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("progress", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "enrolled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "completed_lessons >= 0", name=op.f("ck_enrollments_completed_lessons_not_negative")
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 1", name=op.f("ck_enrollments_progress_fraction")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_enrollments_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_enrollments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
        sa.UniqueConstraint("user_id", "course_id", name=op.f("uq_enrollments_user_id_course_id")),
    )
    op.create_index(op.f("ix_enrollments_course_id"), "enrollments", ["course_id"], unique=False)
    op.create_index(
        "ix_enrollments_user_id_enrolled_at",
        "enrollments",
        ["user_id", "enrolled_at"],
        unique=False,
    )
    op.create_table(
        "modules",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
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
        sa.CheckConstraint("position >= 0", name=op.f("ck_modules_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_modules_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_modules")),
    )
    op.create_index(
        "ix_modules_course_id_position", "modules", ["course_id", "position"], unique=False
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "single_choice",
                "multiple_choice",
                "true_false",
                "short_answer",
                name="question_type",
            ),
            nullable=False,
        ),
        sa.Column(
            "difficulty", sa.Enum("easy", "medium", "hard", name="difficulty"), nullable=False
        ),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("system", sa.Text(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("random_key", sa.Float(), server_default=sa.text("random()"), nullable=False),
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
            "random_key >= 0 AND random_key < 1", name=op.f("ck_questions_random_key_unit")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_questions_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_questions_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    op.create_index(op.f("ix_questions_course_id"), "questions", ["course_id"], unique=False)
    op.create_index(
        "ix_questions_difficulty_random_key",
        "questions",
        ["difficulty", "random_key"],
        unique=False,
    )
    op.create_index("ix_questions_owner_id_id", "questions", ["owner_id", "id"], unique=False)
    op.create_index("ix_questions_random_key", "questions", ["random_key"], unique=False)
    op.create_index(
        "ix_questions_subject_difficulty_random_key",
        "questions",
        ["subject", "difficulty", "random_key"],
        unique=False,
    )
    op.create_index(
        "ix_questions_system_difficulty_random_key",
        "questions",
        ["system", "difficulty", "random_key"],
        unique=False,
    )
    op.create_index(
        "ix_questions_tags", "questions", ["tags"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_questions_topic_difficulty_random_key",
        "questions",
        ["topic", "difficulty", "random_key"],
        unique=False,
    )
    op.create_table(
        "exam_questions",
        sa.Column("exam_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"],
            ["exams.id"],
            name=op.f("fk_exam_questions_exam_id_exams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_exam_questions_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("exam_id", "question_id", name=op.f("pk_exam_questions")),
    )
    op.create_index(
        op.f("ix_exam_questions_question_id"), "exam_questions", ["question_id"], unique=False
    )
    op.create_table(
        "lessons",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("module_id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
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
            "duration_minutes IS NULL OR duration_minutes > 0",
            name=op.f("ck_lessons_duration_positive"),
        ),
        sa.CheckConstraint("position >= 0", name=op.f("ck_lessons_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_lessons_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_lessons_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
    )
    op.create_index(op.f("ix_lessons_course_id"), "lessons", ["course_id"], unique=False)
    op.create_index(
        "ix_lessons_module_id_position", "lessons", ["module_id", "position"], unique=False
    )
    op.create_table(
        "question_exposures",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_exposures_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_question_exposures_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "question_id", name=op.f("pk_question_exposures")),
    )
    op.create_index(
        op.f("ix_question_exposures_question_id"),
        "question_exposures",
        ["question_id"],
        unique=False,
    )
    op.create_table(
        "question_options",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_options_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_options")),
    )
    op.create_index(
        "ix_question_options_question_id_position",
        "question_options",
        ["question_id", "position"],
        unique=False,
    )
    op.create_table(
        "question_stats",
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("answered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("correct", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "correct >= 0 AND correct <= answered",
            name=op.f("ck_question_stats_correct_within_answered"),
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_stats_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_question_stats")),
    )
    op.create_table(
        "exam_answers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("exam_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column(
            "option_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'::uuid[]"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
        sa.Column(
            "answered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["exam_id", "question_id"],
            ["exam_questions.exam_id", "exam_questions.question_id"],
            name="fk_exam_answers_exam_question",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_answers")),
        sa.UniqueConstraint(
            "exam_id", "question_id", name=op.f("uq_exam_answers_exam_id_question_id")
        ),
    )
    op.create_table(
        "lesson_completions",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("lesson_id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column(
            "completed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_lesson_completions_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_lesson_completions_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_lesson_completions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "lesson_id", name=op.f("pk_lesson_completions")),
    )
    op.create_index(
        op.f("ix_lesson_completions_lesson_id"), "lesson_completions", ["lesson_id"], unique=False
    )
    op.create_index(
        "ix_lesson_completions_user_id_course_id",
        "lesson_completions",
        ["user_id", "course_id"],
        unique=False,
    )
    op.add_column(
        "profiles",
        sa.Column("weekly_xp", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("profiles", sa.Column("xp_week", sa.Date(), nullable=True))
    op.create_check_constraint(
        op.f("ck_profiles_weekly_xp_not_negative"), "profiles", "weekly_xp >= 0"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_profiles_weekly_xp_not_negative"), "profiles", type_="check")
    op.drop_column("profiles", "xp_week")
    op.drop_column("profiles", "weekly_xp")
    op.drop_index("ix_lesson_completions_user_id_course_id", table_name="lesson_completions")
    op.drop_index(op.f("ix_lesson_completions_lesson_id"), table_name="lesson_completions")
    op.drop_table("lesson_completions")
    op.drop_table("exam_answers")
    op.drop_table("question_stats")
    op.drop_index("ix_question_options_question_id_position", table_name="question_options")
    op.drop_table("question_options")
    op.drop_index(op.f("ix_question_exposures_question_id"), table_name="question_exposures")
    op.drop_table("question_exposures")
    op.drop_index("ix_lessons_module_id_position", table_name="lessons")
    op.drop_index(op.f("ix_lessons_course_id"), table_name="lessons")
    op.drop_table("lessons")
    op.drop_index(op.f("ix_exam_questions_question_id"), table_name="exam_questions")
    op.drop_table("exam_questions")
    op.drop_index("ix_questions_topic_difficulty_random_key", table_name="questions")
    op.drop_index("ix_questions_tags", table_name="questions", postgresql_using="gin")
    op.drop_index("ix_questions_system_difficulty_random_key", table_name="questions")
    op.drop_index("ix_questions_subject_difficulty_random_key", table_name="questions")
    op.drop_index("ix_questions_random_key", table_name="questions")
    op.drop_index("ix_questions_owner_id_id", table_name="questions")
    op.drop_index("ix_questions_difficulty_random_key", table_name="questions")
    op.drop_index(op.f("ix_questions_course_id"), table_name="questions")
    op.drop_table("questions")
    op.drop_index("ix_modules_course_id_position", table_name="modules")
    op.drop_table("modules")
    op.drop_index("ix_enrollments_user_id_enrolled_at", table_name="enrollments")
    op.drop_index(op.f("ix_enrollments_course_id"), table_name="enrollments")
    op.drop_table("enrollments")
    op.drop_index(op.f("ix_certificates_course_id"), table_name="certificates")
    op.drop_table("certificates")
    op.drop_index("ix_xp_awards_user_id_awarded_at", table_name="xp_awards")
    op.drop_index("ix_xp_awards_awarded_at", table_name="xp_awards")
    op.drop_table("xp_awards")
    op.drop_index("ix_shares_owner_id_created_at", table_name="shares")
    op.drop_index("ix_shares_entity", table_name="shares")
    op.drop_table("shares")
    op.drop_table("learner_topic_stats")
    op.drop_table("learner_stats")
    op.drop_index("ix_exams_user_id_created_at", table_name="exams")
    op.drop_table("exams")
    op.drop_index("ix_courses_tags", table_name="courses", postgresql_using="gin")
    op.drop_index(
        "ix_courses_published_listing",
        table_name="courses",
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.drop_index("ix_courses_owner_id_created_at", table_name="courses")
    op.drop_index(
        "ix_courses_category_listing",
        table_name="courses",
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.drop_table("courses")
    bind = op.get_bind()
    for name in ("share_entity", "exam_status", "exam_mode", "difficulty", "question_type"):
        postgresql.ENUM(name=name).drop(bind, checkfirst=True)

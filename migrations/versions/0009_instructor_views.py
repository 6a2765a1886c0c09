"""Instructor views and course content: the roster's index and each enrollment's last
activity; course quizzes, whose attempts are exams; documents attached to lessons.

Revision ID: 0009_instructor_views
Revises: 0005_hardening
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_instructor_views"
down_revision: str | None = "0005_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("enrollments", sa.Column("last_activity_at", sa.DateTime(timezone=True)))
    op.execute(
        """
        UPDATE enrollments e SET last_activity_at = c.last
        FROM (SELECT user_id, course_id, max(completed_at) AS last
              FROM lesson_completions GROUP BY user_id, course_id) c
        WHERE c.user_id = e.user_id AND c.course_id = e.course_id
        """
    )
    # The roster reads a course's enrollments by keyset (enrolled_at, id); this index
    # also serves every lookup by course_id alone, so it replaces that one.
    op.create_index(
        "ix_enrollments_course_id_enrolled_at_id",
        "enrollments",
        ["course_id", "enrolled_at", "id"],
        unique=False,
    )
    op.drop_index(op.f("ix_enrollments_course_id"), table_name="enrollments")

    op.create_table(
        "quizzes",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("course_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("lesson_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("author_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("mode", postgresql.ENUM(name="exam_mode", create_type=False), nullable=False),
        sa.Column("time_limit_seconds", sa.Integer(), nullable=True),
        sa.Column("draw_size", sa.Integer(), nullable=True),
        sa.Column("draw_topic", sa.Text(), nullable=True),
        sa.Column(
            "draw_difficulty", postgresql.ENUM(name="difficulty", create_type=False), nullable=True
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "draw_size IS NULL OR draw_size > 0", name=op.f("ck_quizzes_draw_size_positive")
        ),
        sa.CheckConstraint(
            "time_limit_seconds IS NULL OR time_limit_seconds > 0",
            name=op.f("ck_quizzes_time_limit_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_quizzes_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_quizzes_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_quizzes_lesson_id_lessons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quizzes")),
    )
    op.create_index(op.f("ix_quizzes_author_id"), "quizzes", ["author_id"], unique=False)
    op.create_index(op.f("ix_quizzes_lesson_id"), "quizzes", ["lesson_id"], unique=False)
    op.create_index(
        "ix_quizzes_course_id_created_at", "quizzes", ["course_id", "created_at"], unique=False
    )
    op.create_table(
        "quiz_questions",
        sa.Column("quiz_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("question_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_quiz_questions_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.id"],
            name=op.f("fk_quiz_questions_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("quiz_id", "question_id", name=op.f("pk_quiz_questions")),
    )
    op.create_index(
        op.f("ix_quiz_questions_question_id"), "quiz_questions", ["question_id"], unique=False
    )
    op.add_column("exams", sa.Column("quiz_id", postgresql.UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_exams_quiz_id_quizzes"),
        "exams",
        "quizzes",
        ["quiz_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index("ix_exams_quiz_id_user_id", "exams", ["quiz_id", "user_id"], unique=False)
    op.create_table(
        "lesson_resources",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("lesson_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("course_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("document_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_lesson_resources_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_lesson_resources_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_lesson_resources_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_resources")),
        sa.UniqueConstraint(
            "lesson_id", "document_id", name=op.f("uq_lesson_resources_lesson_id_document_id")
        ),
    )
    op.create_index(
        op.f("ix_lesson_resources_document_id"), "lesson_resources", ["document_id"], unique=False
    )
    op.create_index(
        "ix_lesson_resources_course_id_document_id",
        "lesson_resources",
        ["course_id", "document_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("lesson_resources")
    op.drop_index("ix_exams_quiz_id_user_id", table_name="exams")
    op.drop_constraint(op.f("fk_exams_quiz_id_quizzes"), "exams", type_="foreignkey")
    op.drop_column("exams", "quiz_id")
    op.drop_table("quiz_questions")
    op.drop_table("quizzes")
    op.create_index(op.f("ix_enrollments_course_id"), "enrollments", ["course_id"], unique=False)
    op.drop_index("ix_enrollments_course_id_enrolled_at_id", table_name="enrollments")
    op.drop_column("enrollments", "last_activity_at")

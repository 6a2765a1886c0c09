"""Instructor views and course content: the roster's index and each enrollment's last
activity.

Revision ID: 0009_instructor_views
Revises: 0005_hardening
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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


def downgrade() -> None:
    op.create_index(op.f("ix_enrollments_course_id"), "enrollments", ["course_id"], unique=False)
    op.drop_index("ix_enrollments_course_id_enrolled_at_id", table_name="enrollments")
    op.drop_column("enrollments", "last_activity_at")

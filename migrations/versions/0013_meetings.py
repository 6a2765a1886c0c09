"""Live sessions: a learner's request to a course's owner, 1 to 5 preferred times, and
the decision (the accepted session's calendar SEQUENCE beside it).

Revision ID: 0013_meetings
Revises: 0012_forums
Create Date: 2027-01-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_meetings"
down_revision: str | None = "0012_forums"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_requests",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("requester_id", sa.UUID(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("preferred_times", sa.ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "accepted", "declined", "cancelled", name="meeting_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), server_default=sa.text("60"), nullable=False),
        sa.Column("meeting_url", sa.Text(), nullable=True),
        sa.Column("sequence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
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
            "status <> 'accepted' OR (scheduled_at IS NOT NULL AND meeting_url IS NOT NULL)",
            name=op.f("ck_meeting_requests_accepted_is_scheduled"),
        ),
        sa.CheckConstraint(
            "cardinality(preferred_times) BETWEEN 1 AND 5",
            name=op.f("ck_meeting_requests_preferred_times_count"),
        ),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 5 AND 480", name=op.f("ck_meeting_requests_duration_range")
        ),
        sa.CheckConstraint("sequence >= 0", name=op.f("ck_meeting_requests_sequence_not_negative")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_meeting_requests_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["users.id"],
            name=op.f("fk_meeting_requests_requester_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_requests")),
    )
    op.create_index(
        "ix_meeting_requests_course_id_created_at_id",
        "meeting_requests",
        ["course_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_meeting_requests_requester_id_created_at_id",
        "meeting_requests",
        ["requester_id", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("meeting_requests")
    postgresql.ENUM(name="meeting_status").drop(op.get_bind(), checkfirst=True)

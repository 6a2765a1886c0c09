"""Analytics: events partitioned by month, daily rollups, scheduled jobs' state.

Revision ID: 0003_analytics
Revises: 0002_learning_core
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_analytics"
down_revision: str | None = "0002_learning_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

event_type = postgresql.ENUM(
    "lesson_viewed",
    "lesson_completed",
    "exam_started",
    "exam_completed",
    "question_answered",
    "video_progress",
    "search_performed",
    "course_enrolled",
    "document_uploaded",
    "ai_question_asked",
    "share_opened",
    name="event_type",
    create_type=False,
)

# The months a fresh database can take events for (the default 90-day retention, and two
# months ahead); from then on the scheduled aggregate task makes them ahead of time.
INITIAL_PARTITIONS = """
DO $$
DECLARE month date;
BEGIN
  FOR month IN
    SELECT generate_series(
      date_trunc('month', now() AT TIME ZONE 'UTC' - interval '100 days'),
      date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months',
      interval '1 month'
    )::date
  LOOP
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
      'events_p' || to_char(month, 'YYYYMM'),
      month::text || ' 00:00:00+00',
      (month + interval '1 month')::date::text || ' 00:00:00+00'
    );
  END LOOP;
END $$;
"""


def upgrade() -> None:
    event_type.create(op.get_bind(), checkfirst=True)
    op.create_table(
        "daily_course_activity",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("event_type", event_type, nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "course_id", "event_type", name=op.f("pk_daily_course_activity")
        ),
    )
    op.create_index(
        "ix_daily_course_activity_course_id_day",
        "daily_course_activity",
        ["course_id", "day"],
        unique=False,
    )
    op.create_table(
        "daily_event_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event_type", event_type, nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "event_type", name=op.f("pk_daily_event_counts")),
    )
    op.create_table(
        "daily_user_activity",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("event_type", event_type, nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "user_id", "event_type", name=op.f("pk_daily_user_activity")
        ),
    )
    op.create_index(
        "ix_daily_user_activity_user_id_day",
        "daily_user_activity",
        ["user_id", "day"],
        unique=False,
    )
    op.create_table(
        "events",
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("type", event_type, nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("course_id", sa.UUID(), nullable=True),
        sa.Column(
            "context",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("occurred_at", "id", name=op.f("pk_events")),
        postgresql_partition_by="RANGE (occurred_at)",
    )
    op.create_index("ix_events_received_at", "events", ["received_at"], unique=False)
    op.execute(INITIAL_PARTITIONS)
    op.create_table(
        "job_state",
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("task", name=op.f("pk_job_state")),
    )
    op.create_index("ix_exam_answers_answered_at", "exam_answers", ["answered_at"], unique=False)
    op.create_index("ix_profiles_updated_at", "profiles", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_profiles_updated_at", table_name="profiles")
    op.drop_index("ix_exam_answers_answered_at", table_name="exam_answers")
    op.drop_table("job_state")
    op.drop_index("ix_events_received_at", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_daily_user_activity_user_id_day", table_name="daily_user_activity")
    op.drop_table("daily_user_activity")
    op.drop_table("daily_event_counts")
    op.drop_index("ix_daily_course_activity_course_id_day", table_name="daily_course_activity")
    op.drop_table("daily_course_activity")
    event_type.drop(op.get_bind(), checkfirst=True)

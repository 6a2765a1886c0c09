"""Audit trail: audit_log partitioned by month, append-only but for erasure's clearing
of personal fields.

Revision ID: 0018_audit
Revises: 0013_meetings
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018_audit"
down_revision: str | None = "0013_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# This month and two ahead; from then on the audit_partitions task makes them ahead.
INITIAL_PARTITIONS = """
DO $$
DECLARE month date;
BEGIN
  FOR month IN
    SELECT generate_series(
      date_trunc('month', now() AT TIME ZONE 'UTC'),
      date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months',
      interval '1 month'
    )::date
  LOOP
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
      'audit_log_p' || to_char(month, 'YYYYMM'),
      month::text || ' 00:00:00+00',
      (month + interval '1 month')::date::text || ' 00:00:00+00'
    );
  END LOOP;
END $$;
"""

# Rows are never deleted (retention drops partitions, which row triggers do not see),
# and an update may only clear the personal fields (erasure).
APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501';
  END IF;
  IF (NEW.id, NEW.occurred_at, NEW.action, NEW.actor_id, NEW.target_type, NEW.target_id,
      NEW.request_id, NEW.details)
     IS DISTINCT FROM
     (OLD.id, OLD.occurred_at, OLD.action, OLD.actor_id, OLD.target_type, OLD.target_id,
      OLD.request_id, OLD.details)
     OR NEW.source_ip IS NOT NULL AND NEW.source_ip IS DISTINCT FROM OLD.source_ip
     OR NEW.personal IS NOT NULL AND NEW.personal IS DISTINCT FROM OLD.personal THEN
    RAISE EXCEPTION 'audit_log rows change only by clearing personal fields'
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("target_type", sa.Text(), nullable=True),
        sa.Column("target_id", sa.UUID(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("source_ip", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("personal", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("occurred_at", "id", name=op.f("pk_audit_log")),
        postgresql_partition_by="RANGE (occurred_at)",
    )
    op.create_index(
        "ix_audit_log_actor_id_occurred_at", "audit_log", ["actor_id", "occurred_at", "id"]
    )
    op.create_index(
        "ix_audit_log_target_id_occurred_at", "audit_log", ["target_id", "occurred_at", "id"]
    )
    op.execute(INITIAL_PARTITIONS)
    op.execute(APPEND_ONLY)


def downgrade() -> None:
    op.execute("DROP TABLE audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")

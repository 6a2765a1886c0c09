"""Monthly range partitions of a table partitioned on a timestamp (``<table>_pYYYYMM``,
[first of the month, first of the next) in UTC): made ahead, dropped whole at retention.

For tables other than ``events`` (whose own module predates this one). Table names come
from code, never from input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

# Postgres refuses a row no partition takes with a check violation.
NO_PARTITION = "23514"


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass(frozen=True)
class MonthPartition:
    name: str
    month: date

    @property
    def ends(self) -> datetime:
        return datetime.combine(next_month(self.month), datetime.min.time(), UTC)


def list_monthly(conn: Connection, table: str) -> list[MonthPartition]:
    pattern = re.compile(rf"^{re.escape(table)}_p(\d{{4}})(\d{{2}})$")
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:table AS regclass)"
        ),
        {"table": table},
    ).scalars()
    found = []
    for name in names:
        match = pattern.match(name)
        if match:
            found.append(MonthPartition(name, date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda p: p.month)


def ensure_monthly(conn: Connection, table: str, first: date, last: date) -> list[str]:
    """Make the partitions of every month from ``first``'s to ``last``'s; return those made."""
    existing = {p.name for p in list_monthly(conn, table)}
    made = []
    month = month_start(first)
    while month <= last:
        name = f"{table}_p{month:%Y%m}"
        if name not in existing:
            lower = f"{month.isoformat()} 00:00:00+00"
            upper = f"{next_month(month).isoformat()} 00:00:00+00"
            conn.execute(
                text(
                    f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}" '
                    f"FOR VALUES FROM ('{lower}') TO ('{upper}')"
                )
            )
            made.append(name)
        month = next_month(month)
    return made


def drop_monthly_before(conn: Connection, table: str, cutoff: datetime) -> list[str]:
    """Drop every partition whose whole month lies before ``cutoff`` (one DDL a month)."""
    dropped = []
    for partition in list_monthly(conn, table):
        if partition.ends <= cutoff:
            conn.execute(text(f'DROP TABLE IF EXISTS "{partition.name}"'))
            dropped.append(partition.name)
    return dropped

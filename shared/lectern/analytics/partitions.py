"""Monthly partitions of ``events``: made ahead of time, dropped whole at retention.

A partition ``events_pYYYYMM`` holds [first of the month, first of the next) in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

PARTITION_NAME = re.compile(r"^events_p(\d{4})(\d{2})$")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"events_p{month:%Y%m}"


@dataclass(frozen=True)
class Partition:
    name: str
    month: date  # its first day

    @property
    def ends(self) -> datetime:
        return datetime.combine(next_month(self.month), datetime.min.time(), UTC)


def ensure_partitions(conn: Connection, first: date, last: date) -> list[str]:
    """Make the partitions for every month from ``first``'s to ``last``'s; return those made."""
    existing = {p.name for p in list_partitions(conn)}
    made = []
    month = month_start(first)
    while month <= last:
        name = partition_name(month)
        if name not in existing:
            lower = f"{month.isoformat()} 00:00:00+00"
            upper = f"{next_month(month).isoformat()} 00:00:00+00"
            # Names and bounds come from dates formatted here, never from input.
            conn.execute(
                text(
                    f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF events '
                    f"FOR VALUES FROM ('{lower}') TO ('{upper}')"
                )
            )
            made.append(name)
        month = next_month(month)
    return made


def list_partitions(conn: Connection) -> list[Partition]:
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'events'::regclass"
        )
    ).scalars()
    found = []
    for name in rows:
        match = PARTITION_NAME.match(name)
        if match:
            found.append(Partition(name, date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda p: p.month)


def drop_partitions_before(conn: Connection, cutoff: datetime) -> list[str]:
    """Drop every partition whose whole month lies before ``cutoff``: one DDL per month,
    never a row-by-row DELETE."""
    dropped = []
    for partition in list_partitions(conn):
        if partition.ends <= cutoff:
            conn.execute(text(f'DROP TABLE IF EXISTS "{partition.name}"'))
            dropped.append(partition.name)
    return dropped

"""Export and reload of the app's tables, and the checksums both sides compute.

A table's data is ``COPY (SELECT * FROM t ORDER BY <primary key>) TO STDOUT`` as CSV
with a header, in UTC and ISO dates, so the same rows give the same bytes on any server
of the same major version: the checksum (SHA-256) is of those bytes, the rows in key
order, not of the compressed file. The object is that CSV, gzip-compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Table, text

from lectern.core.registry import get_registry
from lectern.db.partitions import month_start

# Output settings both the export and the comparison use, for stable bytes.
STABLE_OUTPUT = (
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
    "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1",
    "SET LOCAL bytea_output = 'hex'",
)


@dataclass(frozen=True)
class TableDump:
    table: str
    rows: int
    sha256: str
    data: bytes  # gzip-compressed CSV
    months: list[str]  # partitioned tables: the months the rows fall in


def app_tables() -> list[Table]:
    """Every table the installed contexts own, parents before children (FK order)."""
    return list(get_registry().metadata().sorted_tables)


def stable_output(conn: Connection) -> None:
    for statement in STABLE_OUTPUT:
        conn.execute(text(statement))


def _order(table: Table) -> str:
    columns = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
    return ", ".join(f'"{c}"' for c in columns)


def select_sql(table: Table, since: tuple[str, datetime] | None = None) -> str:
    """The rows of ``table`` in key order; ``since`` = (column, first kept time) leaves
    out what retention has passed. Names come from the models, times from code."""
    where = f"WHERE \"{since[0]}\" >= '{since[1].isoformat()}'" if since else ""
    # Generated columns are left out: the target computes them again.
    columns = ", ".join(f'"{c.name}"' for c in table.columns if c.computed is None)
    return f'SELECT {columns} FROM "{table.name}" {where} ORDER BY {_order(table)}'  # noqa: S608 - names from the models


def copy_out(conn: Connection, query: str) -> bytes:
    """The CSV (with header) that ``query`` gives, through COPY on the connection's own
    transaction."""
    buffer = io.BytesIO()
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        # pg8000's own extension of execute: COPY streams through a file object.
        cursor.execute(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", stream=buffer)  # type: ignore[call-arg]
    finally:
        cursor.close()
    return buffer.getvalue()


def copy_in(conn: Connection, table: str, csv_data: bytes) -> None:
    header = csv_data.split(b"\n", 1)[0].decode()
    columns = ", ".join(f'"{c}"' for c in header.split(","))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)',
            stream=io.BytesIO(csv_data),
        )  # type: ignore[call-arg]
    finally:
        cursor.close()


def checksum(csv_data: bytes) -> str:
    return hashlib.sha256(csv_data).hexdigest()


def compress(csv_data: bytes) -> bytes:
    # mtime 0: the same data compresses to the same bytes.
    return gzip.compress(csv_data, mtime=0)


def months_of(conn: Connection, table: Table, column: str, since: datetime | None) -> list[str]:
    where = f"WHERE \"{column}\" >= '{since.isoformat()}'" if since else ""
    # Names from the models, the time from code.
    sql = (
        f"SELECT DISTINCT date_trunc('month', \"{column}\" AT TIME ZONE 'UTC')::date "  # noqa: S608
        f'FROM "{table.name}" {where} ORDER BY 1'
    )
    rows = conn.execute(text(sql)).scalars()
    return [month_start(d if isinstance(d, date) else d.date()).isoformat() for d in rows]

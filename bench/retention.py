"""Retention: dropping a month of 10,000,000 events, beside DELETEing the same rows.

    .venv/bin/python bench/retention.py [--events 10000000]

Fills one old month's partition (January 2020) with that many events, spread over the
month, in one INSERT ... SELECT generate_series. The baseline is what retention without
partitions would do: ``DELETE FROM events WHERE occurred_at`` in that month, committed
(its dead rows stay on disk until a VACUUM, timed on a line of its own). The month is then filled again and
dropped as the scheduled ``retention`` task does, through ``drop_partitions_before``: one
``DROP TABLE`` of the partition, committed.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

MONTH = date(2020, 1, 1)
NEXT = date(2020, 2, 1)


def _utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def fill(engine, events: int) -> float:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from lectern.analytics.partitions import ensure_partitions

    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        ensure_partitions(conn, MONTH, MONTH)
        seconds = (_utc(NEXT) - _utc(MONTH)).total_seconds()
        conn.execute(
            text(
                "INSERT INTO events (occurred_at, id, type, user_id, course_id) "
                "SELECT CAST(:start AS timestamptz) + (i * CAST(:span AS float8) / :n) * interval '1 second', "
                "gen_random_uuid(), "
                "(enum_range(NULL::event_type))[1 + floor(random() * 11)::int], "
                "md5('u' || floor(random() * 20000)::int)::uuid, "
                "md5('c' || floor(random() * 500)::int)::uuid "
                "FROM generate_series(0, :n - 1) AS i"
            ),
            {"start": _utc(MONTH), "span": seconds, "n": events},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET statement_timeout = 0"))
        conn.execute(text("VACUUM ANALYZE events"))
    return time.perf_counter() - started


def quiet(engine) -> None:  # type: ignore[no-untyped-def]
    """Wait until no autovacuum worker runs: a DROP would first wait for one on its table
    to be cancelled (deadlock_timeout, 1 s), which times autovacuum, not the drop."""
    from sqlalchemy import text

    for _ in range(1200):
        with engine.connect() as conn:
            busy = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                )
            ).scalar_one()
        if not busy:
            return
        time.sleep(0.5)


def vacuum_month(engine) -> float:  # type: ignore[no-untyped-def]
    """The rest of a DELETE's cost: its dead rows stay on disk until a VACUUM."""
    from sqlalchemy import text

    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET statement_timeout = 0"))
        conn.execute(text("VACUUM events_p202001"))
    return time.perf_counter() - started


def delete_month(engine) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        deleted = conn.execute(
            text("DELETE FROM events WHERE occurred_at >= :start AND occurred_at < :end"),
            {"start": _utc(MONTH), "end": _utc(NEXT)},
        ).rowcount
    return time.perf_counter() - started, deleted


def drop_month(engine) -> tuple[float, float, list[str]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from lectern.analytics.partitions import drop_partitions_before

    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        dropped = drop_partitions_before(conn, _utc(NEXT))
        statements = time.perf_counter() - started
        conn.commit()  # the partition's files are unlinked at commit, under the lock
    return time.perf_counter() - started, statements, dropped


def wal_position(engine) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with engine.connect() as conn:
        return str(conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one())


def wal_mb_since(engine, position: str) -> float:  # type: ignore[no-untyped-def]
    """WAL written since ``position``: what a replica, a backup (or Neon's storage) must take."""
    from sqlalchemy import text

    with engine.connect() as conn:
        written = conn.execute(
            text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), CAST(:p AS pg_lsn))"),
            {"p": position},
        ).scalar_one()
    return float(written) / 1e6


def count_month(engine) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with engine.connect() as conn:
        conn.execute(text("SET statement_timeout = 0"))
        return int(
            conn.execute(
                text("SELECT count(*) FROM events WHERE occurred_at >= :s AND occurred_at < :e"),
                {"s": _utc(MONTH), "e": _utc(NEXT)},
            ).scalar_one()
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    args = parser.parse_args()

    from bench.harness import bulk_engine, embedded_stack

    with embedded_stack():
        engine = bulk_engine()
        print(f"{args.events:,} events in {MONTH:%B %Y}: fill {fill(engine, args.events):.1f} s")
        quiet(engine)
        wal = wal_position(engine)
        delete_seconds, deleted = delete_month(engine)
        delete_wal = wal_mb_since(engine, wal)
        assert deleted == args.events and count_month(engine) == 0
        vacuum_seconds = vacuum_month(engine)
        vacuum_wal = wal_mb_since(engine, wal)
        print(f"refill {fill(engine, args.events):.1f} s")
        quiet(engine)
        wal = wal_position(engine)
        drop_seconds, drop_statements, dropped = drop_month(engine)
        drop_wal = wal_mb_since(engine, wal)
        assert dropped == ["events_p202001"] and count_month(engine) == 0, dropped

    print(f"removing one month of {args.events:,} events")
    print(f"{'method':34} {'seconds':>9} {'ratio':>9} {'WAL MB':>9}")
    print(f"{'DELETE ... WHERE occurred_at':34} {delete_seconds:9.3f} {1:9.2f} {delete_wal:9.1f}")
    both = delete_seconds + vacuum_seconds
    print(
        f"{'DELETE, then VACUUM its dead rows':34} {both:9.3f} "
        f"{both / delete_seconds:9.2f} {vacuum_wal:9.1f}"
    )
    print(
        f"{'drop the partition (retention)':34} {drop_seconds:9.3f} "
        f"{drop_seconds / delete_seconds:9.4f} {drop_wal:9.1f}"
    )
    print(
        f"(the drop: {drop_statements * 1000:.0f} ms of statements, the rest its commit, "
        "which removes the partition's files)"
    )
    print(f"DELETE takes {delete_seconds / drop_seconds:,.1f}x as long as dropping the partition")


if __name__ == "__main__":
    main()

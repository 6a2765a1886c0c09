"""Daily rollups: seconds to aggregate one day of a million events, and a rerun of it.

    .venv/bin/python bench/rollup.py [--events 1000000] [--users 3000] [--courses 300] [--runs 3]

Fills one UTC day (yesterday) with that many events of mixed types, from a few thousand
learners over a few hundred courses (some anonymous, some outside any course), in one
INSERT ... SELECT generate_series. Then times what the scheduled task does for a day:
``rollup_days`` (delete the day's rows of the three rollup tables, then INSERT ... SELECT
... GROUP BY for each), committed. "first" starts from no rollup rows for the day (they
are deleted, untimed, before each run); "rerun" recomputes a day already rolled up, as a
late event makes the task do. The baseline is the first rollup; the last line times the
whole ``rollups`` task once (finding the received days through ``ix_events_received_at``
as well), from no watermark.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]


def fill(engine, day: date, events: int, users: int, courses: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from lectern.analytics.partitions import ensure_partitions

    start = datetime.combine(day, datetime.min.time(), UTC)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        ensure_partitions(conn, day, day)
        # Learner and course ids are fixed per number (md5 of it, as a uuid); ~5 % of events
        # are anonymous, ~15 % outside any course; views dominate, as they do in use.
        conn.execute(
            text(
                "INSERT INTO events (occurred_at, id, type, user_id, course_id) "
                "SELECT CAST(:start AS timestamptz) + (i * 86400.0 / :n) * interval '1 second', gen_random_uuid(), "
                "(ARRAY['lesson_viewed','lesson_viewed','lesson_viewed','video_progress',"
                "'video_progress','question_answered','question_answered','lesson_completed',"
                "'exam_started','exam_completed','search_performed','course_enrolled',"
                "'share_opened','ai_question_asked','document_uploaded'])"
                "[1 + floor(random() * 15)::int]::event_type, "
                "CASE WHEN random() < 0.05 THEN NULL ELSE "
                "md5('u' || floor(random() * :users)::int)::uuid END, "
                "CASE WHEN random() < 0.15 THEN NULL ELSE "
                "md5('c' || floor(random() * :courses)::int)::uuid END "
                "FROM generate_series(0, :n - 1) AS i"
            ),
            {"start": start, "n": events, "users": users, "courses": courses},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET statement_timeout = 0"))
        conn.execute(text("VACUUM ANALYZE events"))


def rollup_once(engine, day: date) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from lectern.analytics.store.factory import get_store

    with Session(engine) as db:
        db.execute(text("SET LOCAL statement_timeout = 0"))
        started = time.perf_counter()
        rows = get_store().rollup_days(db, [day])
        db.commit()
        return time.perf_counter() - started, rows


def clear_rollups(engine, day: date) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with engine.begin() as conn:
        for table in ("daily_event_counts", "daily_course_activity", "daily_user_activity"):
            conn.execute(text(f"DELETE FROM {table} WHERE day = :day"), {"day": day})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM daily_event_counts, daily_course_activity, daily_user_activity"))


def whole_task(engine) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import sessionmaker

    from lectern.core import upkeep as jobs

    jobs.IN_FLIGHT_LAG = timedelta(0)  # the fill was just committed
    started = time.perf_counter()
    outcome = jobs.run_tasks(["rollups"], sessions=sessionmaker(bind=engine))["rollups"]
    assert outcome["status"] == "ok", outcome
    return time.perf_counter() - started, outcome["details"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--courses", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from bench.harness import bulk_engine, embedded_stack

    day = datetime.now(UTC).date() - timedelta(days=1)
    # As the aggregate function is configured (template.yaml).
    with embedded_stack(LECTERN_DB_STATEMENT_TIMEOUT_MS="240000"):
        engine = bulk_engine()
        t0 = time.perf_counter()
        fill(engine, day, args.events, args.users, args.courses)
        print(f"{args.events:,} events on {day}: fill {time.perf_counter() - t0:.1f} s")

        task_seconds, details = whole_task(engine)
        firsts, reruns, rows = [], [], 0
        for _ in range(args.runs):
            clear_rollups(engine, day)
            seconds, rows = rollup_once(engine, day)
            firsts.append(seconds)
        for _ in range(args.runs):
            seconds, rows = rollup_once(engine, day)
            reruns.append(seconds)

    first = statistics.median(firsts)
    rerun = statistics.median(reruns)
    print(f"one day's rollups: {rows:,} rows over three tables; median of {args.runs} runs")
    print(f"{'run':34} {'seconds':>8} {'ratio':>6}")
    print(f"{'first rollup of the day':34} {first:8.2f} {1:6.2f}")
    print(f"{'rerun of the same day':34} {rerun:8.2f} {rerun / first:6.2f}")
    print(
        f"{'rollups task (find days + rollup)':34} {task_seconds:8.2f} {task_seconds / first:6.2f}"
    )
    assert details["days"] == [day.isoformat()], details


if __name__ == "__main__":
    main()

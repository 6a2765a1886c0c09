"""A course's roster at 100,000 enrollments: the first page and a deep cursor, beside
OFFSET paging to the same depth, same run.

    .venv/bin/python bench/roster.py [--enrollments 100000] [--runs 21] [--depth 90000]

Fills one published course with ``--enrollments`` learners (users, profiles and
enrollments by ``INSERT ... SELECT generate_series``, enrolled a minute apart, a third
of them with progress), plus 50,000 enrollments in other courses so the index holds
more than this course. Then VACUUM ANALYZE.

Times ``lectern.progress.roster.roster`` as the owner (20 items: the page by keyset
over ``(course_id, enrolled_at, id)``, names joined, the page's quiz totals) for the
first page and for a cursor ``--depth`` rows in. The baseline is the same select paged
with ``OFFSET --depth`` (what a page number would cost). Prints medians and p95 in
milliseconds, and the ratio baseline / ours.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

PAGE = 20
OTHER_ENROLLMENTS = 50_000
PATTERN = "learner%@bench.invalid"


def fill(enrollments: int) -> tuple[uuid.UUID, uuid.UUID]:
    """(course id, owner id) of the big course."""
    from sqlalchemy import text

    from bench.harness import bulk_engine

    owner, course = uuid.uuid4(), uuid.uuid4()
    engine = bulk_engine()
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET statement_timeout = 0"))
        conn.execute(
            text("INSERT INTO users (id, email) VALUES (:id, 'owner@bench.invalid')"), {"id": owner}
        )
        conn.execute(
            text(
                "INSERT INTO profiles (user_id, display_name, role, preferences)"
                " VALUES (:id, 'Owner', 'instructor', '{}')"
            ),
            {"id": owner},
        )
        conn.execute(
            text(
                "INSERT INTO courses (id, owner_id, title, published_at)"
                " VALUES (:c, :o, 'Big course', now()), (gen_random_uuid(), :o, 'Other', now())"
            ),
            {"c": course, "o": owner},
        )
        total = enrollments + OTHER_ENROLLMENTS
        conn.execute(
            text(
                "INSERT INTO users (id, email) SELECT gen_random_uuid(),"
                " 'learner' || g || '@bench.invalid' FROM generate_series(1, :n) g"
            ),
            {"n": total},
        )
        conn.execute(
            text(
                "INSERT INTO profiles (user_id, display_name, preferences)"
                " SELECT id, 'Learner ' || substr(email, 8, 6), '{}' FROM users"
                " WHERE email LIKE :pattern"
            ),
            {"pattern": PATTERN},
        )
        conn.execute(
            text(
                """
                INSERT INTO enrollments (id, user_id, course_id, progress, completed_lessons,
                                         enrolled_at, last_activity_at)
                SELECT gen_random_uuid(), u.id,
                       CASE WHEN u.n <= :n THEN CAST(:c AS uuid)
                            ELSE (SELECT id FROM courses WHERE title = 'Other') END,
                       CASE WHEN mod(u.n, 3) = 0 THEN 0.5 ELSE 0 END,
                       CASE WHEN mod(u.n, 3) = 0 THEN 1 ELSE 0 END,
                       now() - u.n * interval '1 minute',
                       CASE WHEN mod(u.n, 3) = 0 THEN now() - u.n * interval '1 second' END
                FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users
                      WHERE email LIKE :pattern) u
                """
            ),
            {"n": enrollments, "c": course, "pattern": PATTERN},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE users, profiles, enrollments"))
    print(f"  filled {total:,} enrollments in {time.perf_counter() - started:.1f} s")
    engine.dispose()
    return course, owner


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm the cache and the connection
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, round(0.95 * len(samples)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--depth", type=int, default=90_000)
    args = parser.parse_args()

    from bench.harness import embedded_stack

    with embedded_stack(POWERTOOLS_METRICS_DISABLED="true"):
        print(f"filling {args.enrollments:,} enrollments ...")
        course, owner = fill(args.enrollments)
        results = run(course, owner, args)

    print()
    print(f"roster of a course with {args.enrollments:,} enrollments, {PAGE} a page,")
    print(f"median of {args.runs} calls (ms)")
    header = f"{'page':28} {'ours':>8} {'p95':>7} {'OFFSET':>9} {'p95':>7} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for name, ours, offset in results:
        mid, base = statistics.median(ours), statistics.median(offset)
        print(
            f"{name:28} {mid:8.2f} {p95(ours):7.2f} {base:9.2f} {p95(offset):7.2f} "
            f"{base / mid:6.1f}x"
        )
    print("ratio = OFFSET median / ours (> 1: ours is faster)")


def run(
    course: uuid.UUID, owner: uuid.UUID, args: argparse.Namespace
) -> list[tuple[str, list[float], list[float]]]:
    from sqlalchemy import select

    from lectern.core.pagination import encode_keyset
    from lectern.core.principal import Principal, UserRole
    from lectern.db.engine import get_sessionmaker
    from lectern.identity.models import Profile
    from lectern.progress import roster
    from lectern.progress.models import Enrollment

    principal = Principal(owner, UserRole.instructor, "bench")
    results = []
    with get_sessionmaker()() as db:
        # The cursor after row ``depth``, as a client paging that far would hold it.
        at, row_id = db.execute(
            select(Enrollment.enrolled_at, Enrollment.id)
            .where(Enrollment.course_id == course)
            .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc())
            .offset(args.depth - 1)
            .limit(1)
        ).one()
        deep = encode_keyset(at, row_id)

        def offset_page(skip: int) -> Callable[[], Any]:
            statement = (
                select(
                    Enrollment.id,
                    Enrollment.user_id,
                    Profile.display_name,
                    Enrollment.progress,
                    Enrollment.enrolled_at,
                    Enrollment.last_activity_at,
                )
                .join(Profile, Profile.user_id == Enrollment.user_id)
                .where(Enrollment.course_id == course)
                .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc())
                .offset(skip)
                .limit(PAGE + 1)
            )
            return lambda: db.execute(statement).all()

        for name, cursor, skip in (
            ("first page", None, 0),
            (f"cursor {args.depth:,} rows in", deep, args.depth),
        ):
            page = roster.roster(db, principal, course, limit=PAGE, cursor=cursor)
            assert len(page.items) == PAGE
            ours = timed(
                lambda c=cursor: roster.roster(db, principal, course, limit=PAGE, cursor=c),
                args.runs,
            )
            results.append((name, ours, timed(offset_page(skip), args.runs)))
            db.rollback()
    return results


if __name__ == "__main__":
    main()

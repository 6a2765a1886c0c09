"""A course's forum at 100,000 threads, sort=top: the first page and a deep cursor, beside
OFFSET paging to the same depth and beside scores counted from the votes per request,
same run.

    .venv/bin/python bench/forum_threads.py [--threads 100000] [--runs 21] [--depth 90000]

Fills one published course with ``--threads`` threads (a few pinned, 1% deleted, half
unanswered) and 50,000 threads in another course, 3 votes per thread from 1,000 voters
(300,000 vote rows), each thread's ``score`` the sum of its votes, all by
``INSERT ... SELECT generate_series``. Then VACUUM ANALYZE.

Times ``lectern.forums.threads.list_threads`` as an enrolled learner (20 items, pinned
first, by the score counter through ``ix_forum_threads_top``; authors' names and the
caller's votes for the page) for the first page and for a cursor ``--depth`` threads in.
Baselines: the same select paged with ``OFFSET --depth``, and the first page ordered by
a count of the votes made per request (``sum(value) ... GROUP BY``: what "top" costs
without a counter). Prints medians and p95 in milliseconds, and the ratios baseline /
ours.
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
OTHER_THREADS = 50_000
VOTERS = 1_000
VOTES_PER_THREAD = 3


def fill(threads: int) -> tuple[uuid.UUID, uuid.UUID]:
    """(course id, the enrolled learner's id) of the big forum."""
    from sqlalchemy import text

    from bench.harness import bulk_engine

    owner, learner, course, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = bulk_engine()
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET statement_timeout = 0"))
        conn.execute(
            text(
                "INSERT INTO users (id, email) VALUES (:o, 'owner@bench.invalid'),"
                " (:l, 'reader@bench.invalid')"
            ),
            {"o": owner, "l": learner},
        )
        conn.execute(
            text(
                "INSERT INTO users (id, email) SELECT gen_random_uuid(),"
                " 'voter' || g || '@bench.invalid' FROM generate_series(1, :n) g"
            ),
            {"n": VOTERS},
        )
        conn.execute(
            text(
                "INSERT INTO profiles (user_id, display_name, preferences)"
                " SELECT id, 'Member ' || substr(email, 1, 10), '{}' FROM users"
                " WHERE email LIKE '%@bench.invalid'"
            )
        )
        conn.execute(
            text(
                "INSERT INTO courses (id, owner_id, title, published_at)"
                " VALUES (:c, :o, 'Big forum', now()), (:x, :o, 'Other forum', now())"
            ),
            {"c": course, "x": other, "o": owner},
        )
        conn.execute(
            text(
                "INSERT INTO enrollments (id, user_id, course_id) VALUES (gen_random_uuid(), :l, :c)"
            ),
            {"l": learner, "c": course},
        )
        conn.execute(
            text(
                """
                INSERT INTO forum_threads (id, course_id, author_id, title, body, body_html,
                                           reply_count, pinned, created_at, last_activity_at,
                                           deleted_at)
                SELECT gen_random_uuid(),
                       CASE WHEN g <= :n THEN CAST(:c AS uuid) ELSE CAST(:x AS uuid) END,
                       v.id, 'Thread ' || g, 'Body of thread ' || g,
                       '<p>Body of thread ' || g || '</p>',
                       mod(g, 2) * mod(g, 7), g <= 3,
                       now() - g * interval '1 minute', now() - g * interval '30 seconds',
                       CASE WHEN mod(g, 100) = 0 THEN now() END
                FROM generate_series(1, :total) g
                JOIN (SELECT id, row_number() OVER (ORDER BY email) - 1 AS k FROM users
                      WHERE email LIKE 'voter%') v ON v.k = mod(g, :voters)
                """
            ),
            {
                "n": threads,
                "total": threads + OTHER_THREADS,
                "c": course,
                "x": other,
                "voters": VOTERS,
            },
        )
        conn.execute(
            text(
                """
                INSERT INTO forum_thread_votes (thread_id, user_id, value)
                SELECT t.id, v.id, CASE WHEN mod(t.n + j.j, 4) = 0 THEN -1 ELSE 1 END
                FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM forum_threads) t
                CROSS JOIN generate_series(0, CAST(:per AS int) - 1) AS j(j)
                JOIN (SELECT id, row_number() OVER (ORDER BY email) - 1 AS k FROM users
                      WHERE email LIKE 'voter%') v
                  ON v.k = mod(t.n * 7 + j.j * 131, :voters)
                ON CONFLICT DO NOTHING
                """
            ),
            {"per": VOTES_PER_THREAD, "voters": VOTERS},
        )
        # Skewed scores, so "top" has a real order: every 10th thread is popular.
        conn.execute(
            text(
                "UPDATE forum_thread_votes SET value = 1 WHERE thread_id IN"
                " (SELECT id FROM forum_threads WHERE mod(hashtext(title), 10) = 0)"
            )
        )
        conn.execute(
            text(
                "UPDATE forum_threads t SET score = s.total FROM"
                " (SELECT thread_id, sum(value) AS total FROM forum_thread_votes"
                "  GROUP BY thread_id) s WHERE s.thread_id = t.id"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE users, profiles, forum_threads, forum_thread_votes"))
    print(
        f"  filled {threads + OTHER_THREADS:,} threads and their votes"
        f" in {time.perf_counter() - started:.1f} s"
    )
    engine.dispose()
    return course, learner


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
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--depth", type=int, default=90_000)
    args = parser.parse_args()

    from bench.harness import embedded_stack

    with embedded_stack(POWERTOOLS_METRICS_DISABLED="true"):
        print(f"filling {args.threads:,} threads ...")
        course, learner = fill(args.threads)
        results = run(course, learner, args)

    print()
    print(f"sort=top in a forum of {args.threads:,} threads, {PAGE} a page,")
    print(f"median and p95 of {args.runs} calls (ms)")
    header = (
        f"{'page':28} {'ours':>8} {'p95':>7} {'baseline':>10} {'p95':>8} {'ratio':>7}  baseline"
    )
    print(header)
    print("-" * len(header))
    for name, ours, base, what in results:
        mid, other = statistics.median(ours), statistics.median(base)
        print(
            f"{name:28} {mid:8.2f} {p95(ours):7.2f} {other:10.2f} {p95(base):8.2f} "
            f"{other / mid:6.1f}x  {what}"
        )
    print("ratio = baseline median / ours (> 1: ours is faster)")


def run(
    course: uuid.UUID, learner: uuid.UUID, args: argparse.Namespace
) -> list[tuple[str, list[float], list[float], str]]:
    from sqlalchemy import func, select

    from lectern.core.principal import Principal, UserRole
    from lectern.db.engine import get_sessionmaker
    from lectern.forums import threads
    from lectern.forums.models import ForumThread, ThreadVote

    principal = Principal(learner, UserRole.student, "bench")

    def ours(cursor: str | None) -> Callable[[], Any]:
        return lambda: threads.list_threads(
            db, principal, course, sort="top", limit=PAGE, cursor=cursor
        )

    live = (ForumThread.course_id == course, ForumThread.deleted_at.is_(None))
    order = (ForumThread.pinned.desc(), ForumThread.score.desc(), ForumThread.id.desc())
    with get_sessionmaker()() as db:
        # The cursor after thread ``depth``, as a client paging that far would hold it.
        skip = PAGE * (args.depth // PAGE)
        deep_row = db.scalars(
            select(ForumThread).where(*live).order_by(*order).offset(skip - 1).limit(1)
        ).one()
        cursor = threads._position(deep_row, "top")
        first = ours(None)()
        assert len(first.items) == PAGE and first.items[0].pinned
        assert len(ours(cursor)().items) == PAGE

        def offset_page() -> Any:
            return db.scalars(
                select(ForumThread).where(*live).order_by(*order).offset(skip).limit(PAGE + 1)
            ).all()

        counted = (
            select(ForumThread.id, func.coalesce(func.sum(ThreadVote.value), 0).label("votes"))
            .outerjoin(ThreadVote, ThreadVote.thread_id == ForumThread.id)
            .where(*live)
            .group_by(ForumThread.id)
            .order_by(
                ForumThread.pinned.desc(),
                func.coalesce(func.sum(ThreadVote.value), 0).desc(),
                ForumThread.id.desc(),
            )
            .limit(PAGE + 1)
        )
        results = [
            (
                "first page",
                timed(ours(None), args.runs),
                timed(lambda: db.execute(counted).all(), args.runs),
                "votes counted per request",
            ),
            (
                f"cursor {skip:,} threads in",
                timed(ours(cursor), args.runs),
                timed(offset_page, args.runs),
                f"OFFSET {skip:,}",
            ),
        ]
        db.rollback()
    return results


if __name__ == "__main__":
    main()

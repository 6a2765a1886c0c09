"""The unread count of a user with 10,000 notifications: the counter, beside a count of
the unread rows (through their partial index), same run.

    .venv/bin/python bench/notifications_unread.py [--notifications 10000] [--runs 51]

Fills the user's inbox with ``--notifications`` rows (half of them read) and 200,000
rows of 200 other users, the counters as ``notify`` and mark-read keep them, by
``INSERT ... SELECT generate_series``; then VACUUM ANALYZE. Times
``lectern.notifications.service.unread_count`` (one primary-key read of
``notification_counters``) and, as the baseline, ``count(*)`` of the user's unread
in-app rows (an index-only scan of ``ix_notifications_unread``), and the whole first
inbox page (20 items and the count). Prints medians and p95 in milliseconds, and the
ratio baseline / ours.
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

OTHER_USERS = 200
OTHER_EACH = 1_000


def fill(notifications: int) -> uuid.UUID:
    from sqlalchemy import text

    from bench.harness import bulk_engine

    me = uuid.uuid4()
    engine = bulk_engine()
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET statement_timeout = 0"))
        conn.execute(
            text("INSERT INTO users (id, email) VALUES (:u, 'me@bench.invalid')"), {"u": me}
        )
        conn.execute(
            text(
                "INSERT INTO users (id, email) SELECT gen_random_uuid(),"
                " 'other' || g || '@bench.invalid' FROM generate_series(1, :n) g"
            ),
            {"n": OTHER_USERS},
        )
        conn.execute(
            text(
                """
                INSERT INTO notifications (id, user_id, type, title, body, link, created_at,
                                           read_at)
                SELECT gen_random_uuid(), u.id, 'thread_reply', 'New reply in: thread ' || g,
                       'A reply', '/courses/x/threads/y', now() - g * interval '1 minute',
                       CASE WHEN mod(g, 2) = 0 THEN now() END
                FROM users u
                CROSS JOIN LATERAL generate_series(
                    1, CASE WHEN u.id = :me THEN CAST(:mine AS int) ELSE CAST(:each AS int) END) g
                WHERE u.email LIKE '%@bench.invalid'
                """
            ),
            {"me": me, "mine": notifications, "each": OTHER_EACH},
        )
        conn.execute(
            text(
                "INSERT INTO notification_counters (user_id, unread)"
                " SELECT user_id, count(*) FILTER (WHERE read_at IS NULL) FROM notifications"
                " GROUP BY user_id"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE notifications, notification_counters"))
    print(f"  filled the inboxes in {time.perf_counter() - started:.1f} s")
    engine.dispose()
    return me


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()
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
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=51)
    args = parser.parse_args()

    from bench.harness import embedded_stack

    with embedded_stack(POWERTOOLS_METRICS_DISABLED="true"):
        print(f"filling an inbox of {args.notifications:,} notifications ...")
        me = fill(args.notifications)
        results = run(me, args)

    print()
    print(f"a user with {args.notifications:,} notifications ({args.notifications // 2:,} unread),")
    print(f"median and p95 of {args.runs} calls (ms)")
    header = f"{'what':34} {'ms':>8} {'p95':>7}"
    print(header)
    print("-" * len(header))
    for name, samples in results:
        print(f"{name:34} {statistics.median(samples):8.3f} {p95(samples):7.3f}")
    ours, counted = statistics.median(results[0][1]), statistics.median(results[1][1])
    print(f"ratio = count(*) / counter = {counted / ours:.1f}x (> 1: the counter is faster)")


def run(me: uuid.UUID, args: argparse.Namespace) -> list[tuple[str, list[float]]]:
    from sqlalchemy import func, select

    from lectern.core.principal import Principal, UserRole
    from lectern.db.engine import get_sessionmaker
    from lectern.notifications import service
    from lectern.notifications.models import Notification

    principal = Principal(me, UserRole.student, "bench")
    counted = (
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.user_id == me,
            Notification.in_app.is_(True),
            Notification.read_at.is_(None),
        )
    )
    with get_sessionmaker()() as db:
        assert service.unread_count(db, me) == db.scalar(counted) == args.notifications // 2
        results = [
            ("unread count: the counter", timed(lambda: service.unread_count(db, me), args.runs)),
            ("baseline: count(*) of unread rows", timed(lambda: db.scalar(counted), args.runs)),
            (
                "first inbox page (20 + count)",
                timed(
                    lambda: service.list_notifications(
                        db, principal, unread=False, limit=20, cursor=None
                    ),
                    args.runs,
                ),
            ),
        ]
        db.rollback()
    return results


if __name__ == "__main__":
    main()

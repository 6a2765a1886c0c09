"""Leaderboard top-100 plus the caller's own rank at a million learners.

    .venv/bin/python bench/leaderboard.py [--learners 1000000] [--runs 200]

Fills Postgres with that many learners (random XP) and copies their XP into the
all-time sorted set through the real Upstash client and the emulator. Then, for random
learners, times what the leaderboard route does: one pipelined KV call (ZRANGE top 100,
ZREVRANK, ZSCORE) plus one query for the 100 display names. The baseline, in the same
run, answers the same question from Postgres alone with an index on XP: the top 100,
and the caller's rank as a count of everyone above them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]


def fill(learners: int) -> None:
    from sqlalchemy import text

    from bench.harness import bulk_engine

    with bulk_engine().begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(
            text(
                "INSERT INTO users (id, email) SELECT gen_random_uuid(), 'lb-' || i || "
                "'@bench.invalid' FROM generate_series(1, :n) AS i"
            ),
            {"n": learners},
        )
        conn.execute(
            text(
                "INSERT INTO profiles (user_id, display_name, xp) SELECT id, "
                "'Learner ' || left(id::text, 8), (random() * random() * 50000)::int FROM users "
                "WHERE email LIKE 'lb-%'"
            )
        )
        conn.execute(text("CREATE INDEX IF NOT EXISTS bench_profiles_xp ON profiles (xp DESC)"))
        conn.execute(text("ANALYZE profiles"))


def copy_to_kv(batch: int = 5000) -> None:
    from sqlalchemy import text

    from bench.harness import bulk_engine
    from lectern.kv.factory import get_kv
    from lectern.progress.leaderboards import Period, board_key

    board = board_key(Period.all_time)
    kv = get_kv()
    kv.delete(board)
    with bulk_engine().connect() as conn:
        rows = conn.execute(text("SELECT user_id::text, xp FROM profiles")).all()
    for start in range(0, len(rows), batch * 10):
        pipe = kv.pipeline()
        for chunk in range(start, min(start + batch * 10, len(rows)), batch):
            pipe.zadd(board, {uid: xp for uid, xp in rows[chunk : chunk + batch]})
        pipe.exec()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from bench.harness import embedded_stack

    with embedded_stack():
        t0 = time.perf_counter()
        fill(args.learners)
        t1 = time.perf_counter()
        copy_to_kv()
        t2 = time.perf_counter()
        print(
            f"{args.learners:,} learners: Postgres fill {t1 - t0:.1f} s, "
            f"sorted set fill {t2 - t1:.1f} s"
        )
        results, sample_size = measure(args.runs)

    base = results["postgres count"][0]
    print(f"top-100 + own rank, {sample_size} random learners (ms)")
    print(f"{'method':22} {'median':>8} {'p95':>8} {'ratio':>6}")
    for name, (med, p95) in results.items():
        print(f"{name:22} {med:8.2f} {p95:8.2f} {med / base:6.2f}")


def measure(runs: int) -> tuple[dict[str, tuple[float, float]], int]:
    from sqlalchemy import select, text

    from lectern.db.engine import get_engine, get_sessionmaker
    from lectern.identity.models import Profile
    from lectern.progress.leaderboards import Period, standing

    with get_engine().connect() as conn:
        sample = [
            uuid.UUID(str(u))
            for u in conn.execute(
                text("SELECT user_id FROM profiles TABLESAMPLE SYSTEM (1) LIMIT :n"),
                {"n": runs},
            ).scalars()
        ]
    random.shuffle(sample)

    def via_kv(user_id: uuid.UUID) -> int:
        mine = standing(Period.all_time, user_id, limit=100)
        with get_sessionmaker()() as db:
            names = dict(
                db.execute(
                    select(Profile.user_id, Profile.display_name).where(
                        Profile.user_id.in_([u for u, _ in mine.top])
                    )
                ).all()
            )
        assert len(names) == len(mine.top) == 100 and mine.rank is not None
        return mine.rank

    def via_postgres(user_id: uuid.UUID) -> int:
        with get_engine().connect() as conn:
            top = conn.execute(
                text("SELECT user_id, display_name, xp FROM profiles ORDER BY xp DESC LIMIT 100")
            ).all()
            rank = conn.execute(
                text(
                    "SELECT 1 + count(*) FROM profiles WHERE xp > "
                    "(SELECT xp FROM profiles WHERE user_id = :u)"
                ),
                {"u": user_id},
            ).scalar_one()
        assert len(top) == 100
        return int(rank)

    def kv_only(user_id: uuid.UUID) -> int:
        mine = standing(Period.all_time, user_id, limit=100)
        assert mine.rank is not None
        return mine.rank

    results = {}
    methods = (
        ("sorted set only", kv_only),
        ("sorted set + names", via_kv),
        ("postgres count", via_postgres),
    )
    for name, fn in methods:
        fn(sample[0])  # warm connections
        times = []
        for user_id in sample:
            start = time.perf_counter()
            fn(user_id)
            times.append((time.perf_counter() - start) * 1e3)
        times.sort()
        results[name] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    return results, len(sample)


if __name__ == "__main__":
    main()

"""A challenge's leaderboard, top-100 plus the caller's own rank, at 100,000 participants.

    .venv/bin/python bench/challenge_board.py [--participants 100000] [--runs 200]

Fills Postgres with that many learners, all joined to one active challenge with random
scores, and writes the board to its Upstash sorted set through the real client and the
emulator (``lectern.challenges.boards.rebuild``, what a read does when the set is gone).
Then, for random participants, times the route's service
(``lectern.challenges.service.leaderboard``: the challenge and the caller's entry by
primary key, one pipelined KV call, one query for the 100 names), and, in the same run,
the baseline that answers from Postgres alone with the index on (challenge, score, user):
the top 100 by ``ORDER BY score DESC``, and the caller's rank as a count of the entrants
above them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]


def fill(participants: int) -> uuid.UUID:
    from sqlalchemy import text

    from bench.harness import bulk_engine
    from lectern.core.ids import uuid7

    challenge_id = uuid7()
    now = datetime.now(UTC)
    with bulk_engine().begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(
            text(
                "INSERT INTO users (id, email) SELECT gen_random_uuid(), 'cb-' || i || "
                "'@bench.invalid' FROM generate_series(1, :n) AS i"
            ),
            {"n": participants},
        )
        conn.execute(
            text(
                "INSERT INTO profiles (user_id, display_name) SELECT id, "
                "'Learner ' || left(id::text, 8) FROM users WHERE email LIKE 'cb-%'"
            )
        )
        conn.execute(
            text(
                "INSERT INTO challenges (id, title, difficulty, starts_at, ends_at, metric, target)"
                " VALUES (:id, 'Bench', 'medium', :starts, :ends, 'xp', 1000000)"
            ),
            {
                "id": challenge_id,
                "starts": now - timedelta(days=1),
                "ends": now + timedelta(days=6),
            },
        )
        conn.execute(
            text(
                "INSERT INTO challenge_entries (challenge_id, user_id, joined_at, score)"
                " SELECT :c, id, :joined, (random() * random() * 5000)::int FROM users"
                " WHERE email LIKE 'cb-%'"
            ),
            {"c": challenge_id, "joined": now - timedelta(days=1)},
        )
        conn.execute(text("ANALYZE challenge_entries"))
        conn.execute(text("ANALYZE profiles"))
    return challenge_id


def copy_to_kv(challenge_id: uuid.UUID) -> None:
    from lectern.challenges import boards
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        boards.rebuild(db, challenge_id, datetime.now(UTC) + timedelta(days=6))


def measure(challenge_id: uuid.UUID, runs: int) -> tuple[dict[str, tuple[float, float]], int]:
    from sqlalchemy import text

    from lectern.challenges import boards
    from lectern.challenges.service import leaderboard
    from lectern.core.principal import Principal, UserRole
    from lectern.db.engine import get_engine, get_sessionmaker

    with get_engine().connect() as conn:
        sample = [
            uuid.UUID(str(u))
            for u in conn.execute(
                text(
                    "SELECT user_id FROM challenge_entries TABLESAMPLE SYSTEM (2)"
                    " WHERE challenge_id = :c LIMIT :n"
                ),
                {"c": challenge_id, "n": runs},
            ).scalars()
        ]
    random.shuffle(sample)

    def via_service(user_id: uuid.UUID) -> int:
        principal = Principal(user_id=user_id, role=UserRole.student, token_hash="")
        with get_sessionmaker()() as db:
            board = leaderboard(db, principal, challenge_id, limit=100)
        assert len(board.entries) == 100 and board.me.rank is not None
        return board.me.rank

    def via_postgres(user_id: uuid.UUID) -> int:
        with get_engine().connect() as conn:
            top = conn.execute(
                text(
                    "SELECT e.user_id, p.display_name, e.score FROM challenge_entries e"
                    " JOIN profiles p ON p.user_id = e.user_id WHERE e.challenge_id = :c"
                    " ORDER BY e.score DESC, e.user_id DESC LIMIT 100"
                ),
                {"c": challenge_id},
            ).all()
            rank = conn.execute(
                text(
                    "SELECT 1 + count(*) FROM challenge_entries e WHERE e.challenge_id = :c"
                    " AND (e.score, e.user_id) > (SELECT score, user_id FROM challenge_entries"
                    " WHERE challenge_id = :c AND user_id = :u)"
                ),
                {"c": challenge_id, "u": user_id},
            ).scalar_one()
        assert len(top) == 100
        return int(rank)

    def kv_only(user_id: uuid.UUID) -> int:
        mine = boards.standing(challenge_id, user_id, 100)
        assert mine.rank is not None
        return mine.rank

    results = {}
    ranks: dict[str, list[int]] = {}
    for name, fn in (
        ("sorted set only", kv_only),
        ("sorted set (service)", via_service),
        ("postgres ORDER BY + count", via_postgres),
    ):
        fn(sample[0])  # warm connections
        times = []
        ranks[name] = []
        for user_id in sample:
            start = time.perf_counter()
            ranks[name].append(fn(user_id))
            times.append((time.perf_counter() - start) * 1e3)
        times.sort()
        results[name] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    # Both order ties by user id, descending: the same ranks.
    assert (
        ranks["sorted set (service)"]
        == ranks["postgres ORDER BY + count"]
        == ranks["sorted set only"]
    )
    return results, len(sample)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from bench.harness import embedded_stack

    with embedded_stack():
        t0 = time.perf_counter()
        challenge_id = fill(args.participants)
        t1 = time.perf_counter()
        copy_to_kv(challenge_id)
        t2 = time.perf_counter()
        print(
            f"{args.participants:,} participants: Postgres fill {t1 - t0:.1f} s, "
            f"sorted set fill {t2 - t1:.1f} s"
        )
        results, sample_size = measure(challenge_id, args.runs)

    base = results["postgres ORDER BY + count"][0]
    print(f"challenge top-100 + own rank, {sample_size} random participants (ms)")
    print(f"{'method':28} {'median':>8} {'p95':>8} {'ratio':>6}")
    for name, (med, p95) in results.items():
        print(f"{name:28} {med:8.2f} {p95:8.2f} {med / base:6.2f}")


if __name__ == "__main__":
    main()

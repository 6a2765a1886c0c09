"""Exam question selection (random-key index walk) beside ``ORDER BY random()``, same run.

    .venv/bin/python bench/question_selection.py [--bank 1000000] [--runs 15] [--size 50]

Fills a bank with one ``INSERT ... SELECT FROM generate_series`` (random topics,
difficulties, subjects and keys; no options, which selection never reads), gives a
share of the questions answer counters and the learner some topic counters (for the
adaptive weights), runs ANALYZE, then times ``lectern.assessment.selection.
select_question_ids`` for a ``--size`` exam, with and without filters and adaptive,
beside ``SELECT id FROM questions WHERE <same filters> ORDER BY random() LIMIT size``.

Our figure includes everything an exam draw reads: the walk, the learner's exposures
and, when adaptive, the topic and question counters. The baseline reads ids only and
skips the published-course check, so the ratio understates the difference.
Prints the median and p95 milliseconds, the ratio baseline / ours, and the plan's
index use.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

TOPICS = 200
SUBJECTS = 20
SYSTEMS = 10
BATCH = 250_000


def fill(url: str, owner: Any, bank: int) -> None:
    """Bulk work on its own connection: no socket or statement timeout (the app's
    engine has both, sized for requests)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text("SET statement_timeout = 0"))
        _fill(conn, owner, bank)
    engine.dispose()


def _fill(conn: Any, owner: Any, bank: int) -> None:
    from sqlalchemy import text

    done = 0
    started = time.perf_counter()
    while done < bank:
        n = min(BATCH, bank - done)
        conn.execute(
            text(
                """
                INSERT INTO questions
                    (id, owner_id, prompt, type, difficulty, topic, subject, system, random_key)
                SELECT gen_random_uuid(), :owner, 'Question ' || g, 'single_choice',
                       (ARRAY['easy', 'medium', 'hard']::difficulty[])[1 + floor(random() * 3)::int],
                       'topic-' || floor(random() * :topics)::int,
                       'subject-' || floor(random() * :subjects)::int,
                       'system-' || floor(random() * :systems)::int,
                       random()
                FROM generate_series(1, :n) AS g
                """
            ),
            {"owner": owner, "n": n, "topics": TOPICS, "subjects": SUBJECTS, "systems": SYSTEMS},
        )
        conn.commit()
        done += n
        print(f"  {done:>9,} questions  ({time.perf_counter() - started:5.1f} s)", flush=True)
    # A third of the bank has been answered: success rates spread over 0..1.
    conn.execute(
        text(
            """
            INSERT INTO question_stats (question_id, answered, correct)
            SELECT id, a, floor(random() * (a + 1))::int
            FROM (SELECT id, 5 + floor(random() * 50)::int AS a FROM questions
                  WHERE random() < 0.33) AS s
            """
        )
    )
    conn.commit()
    conn.execute(text("ANALYZE"))
    conn.commit()


def timed(fn: Callable[[int], Any], runs: int) -> list[float]:
    fn(-1)  # warm the cache and the connection
    samples = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bank", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", type=int, default=50)
    args = parser.parse_args()

    from lectern.db.migrations import upgrade
    from local.stack import LocalStack

    stack = LocalStack(typesense=False)  # this bench does not search
    stack.start()
    os.environ.update(
        {
            **stack.env,
            "LECTERN_ENV": "test",
            "LECTERN_DB_STATEMENT_TIMEOUT_MS": "600000",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    try:
        upgrade(stack.env["LECTERN_DATABASE_URL"])
        rows = run(args)
    finally:
        stack.stop()

    print()
    print(f"bank {args.bank:,} questions, exam of {args.size}, median of {args.runs} runs")
    header = (
        f"{'criteria':28} {'walk ms':>8} {'p95':>7} {'random() ms':>11} {'p95':>7} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, ours, base in rows:
        ratio = statistics.median(base) / statistics.median(ours)
        print(
            f"{name:28} {statistics.median(ours):8.2f} {p95(ours):7.2f} "
            f"{statistics.median(base):11.2f} {p95(base):7.2f} {ratio:6.1f}x"
        )
    print("ratio = ORDER BY random() median / index-walk median (> 1: the walk is faster)")


def run(args: argparse.Namespace) -> list[tuple[str, list[float], list[float]]]:
    from sqlalchemy import text

    from lectern.assessment.models import Difficulty, LearnerTopicStats
    from lectern.assessment.schemas import ExamCriteria
    from lectern.assessment.selection import (
        select_question_ids,
        spreads_difficulties,
        walk_statement,
    )
    from lectern.core.principal import UserRole
    from lectern.db.engine import get_sessionmaker
    from lectern.identity.service import create_account

    with get_sessionmaker()() as db:
        owner = create_account(
            db, email="bank@example.com", name="Bank", password=None, role=UserRole.instructor
        )
        learner = create_account(
            db, email="learner@example.com", name="Learner", password=None, role=UserRole.student
        )
        rng = random.Random(1)
        db.add_all(
            LearnerTopicStats(user_id=learner.id, topic=f"topic-{t}", answered=a, correct=c)
            for t in range(0, TOPICS, 5)
            for a in [rng.randrange(3, 40)]
            for c in [rng.randrange(0, a + 1)]
        )
        db.commit()
        owner_id, learner_id = owner.id, learner.id
    print(f"filling a bank of {args.bank:,} questions ...")
    fill(os.environ["LECTERN_DATABASE_URL"], owner_id, args.bank)

    scenarios: list[tuple[str, ExamCriteria, bool, str, dict[str, Any]]] = [
        ("no filter", ExamCriteria(), False, "", {}),
        ("topic", ExamCriteria(topic="topic-7"), False, "WHERE topic = :t", {"t": "topic-7"}),
        (
            "topic + difficulty",
            ExamCriteria(topic="topic-7", difficulty=Difficulty.hard),
            False,
            "WHERE topic = :t AND difficulty = 'hard'",
            {"t": "topic-7"},
        ),
        (
            "subject",
            ExamCriteria(subject="subject-3"),
            False,
            "WHERE subject = :s",
            {"s": "subject-3"},
        ),
        ("adaptive, no filter", ExamCriteria(), True, "", {}),
        (
            "adaptive, topic",
            ExamCriteria(topic="topic-7"),
            True,
            "WHERE topic = :t",
            {"t": "topic-7"},
        ),
    ]
    rows = []
    with get_sessionmaker()() as db:
        for name, criteria, adaptive, where, params in scenarios:
            got: list[int] = []

            def ours(
                i: int,
                criteria: ExamCriteria = criteria,
                adaptive: bool = adaptive,
                got: list[int] = got,
            ) -> None:
                ids = select_question_ids(
                    db, learner_id, criteria, args.size, adaptive=adaptive, rng=random.Random(i)
                )
                got.append(len(set(ids)))
                db.rollback()

            baseline_sql = text(f"SELECT id FROM questions {where} ORDER BY random() LIMIT :size")

            def baseline(_: int, sql: Any = baseline_sql, params: dict[str, Any] = params) -> None:
                db.execute(sql, {**params, "size": args.size}).all()
                db.rollback()

            # Interleaved would be fairer to caches; both are warmed first instead.
            mine = timed(ours, args.runs)
            base = timed(baseline, args.runs)
            assert set(got) == {args.size}, f"{name}: drew {set(got)} distinct, not {args.size}"
            rows.append((name, mine, base))

        print("\nplans (walk: which index each run reads; baseline: its top nodes)")
        for name, criteria, _, where, params in scenarios[:4]:
            difficulties = (
                [Difficulty.easy, Difficulty.medium, Difficulty.hard]
                if spreads_difficulties(criteria)
                else None
            )
            starts = [0.1, 0.5, 0.9]
            stmt, walk_params = walk_statement(criteria, learner_id, starts, difficulties)
            plan = [r[0] for r in db.execute(text(f"EXPLAIN {stmt.text}"), walk_params)]
            indexes = sorted(
                {
                    line.split(" using ")[1].split()[0]
                    for line in plan
                    if " using " in line and "questions" in line
                }
            )
            seq = any("Seq Scan on questions" in line for line in plan)
            sort = any("Sort" in line for line in plan)
            base_plan = [
                r[0]
                for r in db.execute(
                    text(f"EXPLAIN SELECT id FROM questions {where} ORDER BY random() LIMIT 50"),
                    params,
                )
            ]
            base_nodes = " > ".join(
                line.strip().lstrip("-> ").split("  (")[0] for line in base_plan if "(cost" in line
            )[:90]
            print(f"  {name:20} walk: {', '.join(indexes)}; seq scan: {seq}; sort: {sort}")
            print(f"  {'':20} baseline: {base_nodes}")
            db.rollback()
    return rows


if __name__ == "__main__":
    main()

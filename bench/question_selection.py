"""Exam question selection (random-key index walk) beside ``ORDER BY random()``, same run.

    .venv/bin/python bench/question_selection.py [--bank 1000000] [--runs 21] [--size 50]
        [--path both|new|old]

Fills a bank with one ``INSERT ... SELECT FROM generate_series`` (random topics,
difficulties, subjects and keys; no options, which selection never reads), gives a
share of the questions answer counters and the learner some topic counters (for the
adaptive weights), runs ANALYZE, then times ``lectern.assessment.selection.
select_question_ids`` for a ``--size`` exam, with and without filters and adaptive,
beside ``SELECT id FROM questions WHERE <same filters> ORDER BY random() LIMIT size``.

``--path`` picks the selection measured beside the baseline: ``new`` is the product's
(the plan follows the estimated rows a whole read visits and the matching set's size:
a whole read up to ``DIRECT_MAX`` rows or for a set too small to walk, else a walk
just longer than the exam, with the draw order and the cut made in the statement);
``old`` is the one before issue 19, kept in this file only (always the walk,
oversampled four times, every candidate back to Python); ``both`` (the default) times
the two in the same run. The calls take turns (new, old, baseline,
then the next round), so drift in the machine's load falls on all of them alike.

Our figure includes everything an exam draw reads: the walk, the learner's exposures
and, when adaptive, the topic and question counters. The baseline reads ids only and
skips the published-course check, so the ratio understates the difference.
Prints the median and p95 milliseconds, the ratios baseline / new and old / new, the
plan the new selection chose, and the walk's index use.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
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
            INSERT INTO question_stat_shards (question_id, shard, answered, correct)
            SELECT id, 0, a, floor(random() * (a + 1))::int
            FROM (SELECT id, 5 + floor(random() * 50)::int AS a FROM questions
                  WHERE random() < 0.33) AS s
            """
        )
    )
    conn.commit()
    conn.execute(text("ANALYZE"))
    conn.commit()


def timed_in_turns(fns: dict[str, Callable[[int], Any]], runs: int) -> dict[str, list[float]]:
    """Each function ``runs`` times, taking turns (a different one first each round)."""
    names = list(fns)
    for name in names:
        fns[name](-1)  # warm the cache and the connection
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(runs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            t0 = time.perf_counter()
            fns[name](i)
            samples[name].append((time.perf_counter() - t0) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bank", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--path", choices=("both", "new", "old"), default="both")
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
    paths = ["new", "old"] if args.path == "both" else [args.path]
    header = f"{'criteria':26} {'plan':>5}"
    for path in paths:
        header += f" {path + ' ms':>8} {'p95':>6}"
    header += f" {'random() ms':>11} {'p95':>6}"
    header += "".join(f" {'rnd/' + path:>8}" for path in paths)
    if len(paths) == 2:
        header += f" {'old/new':>8}"
    print(header)
    print("-" * len(header))
    for name, plan, samples in rows:
        line = f"{name:26} {plan:>5}"
        for path in paths:
            line += f" {statistics.median(samples[path]):8.2f} {p95(samples[path]):6.2f}"
        base = statistics.median(samples["random"])
        line += f" {base:11.2f} {p95(samples['random']):6.2f}"
        line += "".join(f" {base / statistics.median(samples[path]):7.2f}x" for path in paths)
        if len(paths) == 2:
            ratio = statistics.median(samples["old"]) / statistics.median(samples["new"])
            line += f" {ratio:7.2f}x"
        print(line)
    print(
        "rnd/x = ORDER BY random() median / x's median (> 1: x is faster); plan: the new"
        " selection's (walk, or whole: the matching set read whole)"
    )


def run(args: argparse.Namespace) -> list[tuple[str, str, dict[str, list[float]]]]:
    from sqlalchemy import text

    from lectern.assessment.models import Difficulty, LearnerTopicStats
    from lectern.assessment.schemas import ExamCriteria
    from lectern.assessment.selection import (
        plan,
        select_question_ids,
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

    hard = Difficulty.hard
    scenarios: list[tuple[str, ExamCriteria, bool, str, dict[str, Any]]] = [
        ("no filter", ExamCriteria(), False, "", {}),
        ("topic", ExamCriteria(topic="topic-7"), False, "WHERE topic = :t", {"t": "topic-7"}),
        (
            "topic + difficulty",
            ExamCriteria(topic="topic-7", difficulty=hard),
            False,
            "WHERE topic = :t AND difficulty = 'hard'",
            {"t": "topic-7"},
        ),
        (
            "topic + system + difficulty",
            ExamCriteria(topic="topic-7", system="system-2", difficulty=hard),
            False,
            "WHERE topic = :t AND system = :y AND difficulty = 'hard'",
            {"t": "topic-7", "y": "system-2"},
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
    selections = {"new": select_question_ids, "old": old_select_question_ids}
    paths = ["new", "old"] if args.path == "both" else [args.path]
    rows = []
    with get_sessionmaker()() as db:
        for name, criteria, adaptive, where, params in scenarios:
            got: dict[str, set[int]] = {path: set() for path in paths}
            fns: dict[str, Callable[[int], Any]] = {}
            for path in paths:

                def draw(
                    i: int,
                    select: Any = selections[path],
                    criteria: ExamCriteria = criteria,
                    adaptive: bool = adaptive,
                    got: set[int] = got[path],
                ) -> None:
                    ids = select(
                        db, learner_id, criteria, args.size, adaptive=adaptive, rng=random.Random(i)
                    )
                    got.add(len(set(ids)))
                    db.rollback()

                fns[path] = draw
            sql = text(f"SELECT id FROM questions {where} ORDER BY random() LIMIT :size")

            def baseline(_: int, sql: Any = sql, params: dict[str, Any] = params) -> None:
                db.execute(sql, {**params, "size": args.size}).all()
                db.rollback()

            fns["random"] = baseline
            samples = timed_in_turns(fns, args.runs)
            matches = db.scalar(text(f"SELECT count(*) FROM questions {where}"), params)
            for path in paths:
                expected = {min(args.size, int(matches or 0))}
                assert got[path] == expected, f"{name}: {path} drew {got[path]}, not {expected}"
            first = plan(db, criteria, args.size, adaptive=adaptive)
            db.rollback()
            rows.append((name, first, samples))

        print_plans(db, learner_id, scenarios[:5])
    return rows


def print_plans(db: Any, learner_id: Any, scenarios: list[Any]) -> None:
    """Which index each run of the walk reads, and the baseline's top nodes."""
    from sqlalchemy import text

    from lectern.assessment.models import Difficulty
    from lectern.assessment.selection import spreads_difficulties, walk_statement

    print("\nplans (walk: which index each run reads; baseline: its top nodes)")
    for name, criteria, _, where, params in scenarios:
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
        print(f"  {name:28} walk: {', '.join(indexes)}; seq scan: {seq}")
        print(f"  {'':28} baseline: {base_nodes}")
        db.rollback()


# --- selection before issue 19, for the same-run comparison (bench only) ----------------
# Always the walk, four candidates per place, all of them annotated and sent to Python,
# which prefers the unseen and shuffles; a matching set that looks small is read again
# whole. Its question counters are the shards summed (the old single row is gone).

_OLD_ANNOTATIONS = """
    SELECT w.id, w.topic, e.last_seen_at{stats_columns}
    FROM {source}
    LEFT JOIN question_exposures e ON e.user_id = :user_id AND e.question_id = w.id{stats_joins}
"""
_OLD_STATS_COLUMNS = """,
           qs.answered AS q_answered, qs.correct AS q_correct,
           ts.answered AS t_answered, ts.correct AS t_correct"""
_OLD_STATS_JOINS = """
    LEFT JOIN LATERAL (SELECT sum(s.answered) AS answered, sum(s.correct) AS correct
                       FROM question_stat_shards s WHERE s.question_id = w.id) qs ON true
    LEFT JOIN learner_topic_stats ts ON ts.user_id = :user_id AND ts.topic = w.topic"""


def _old_annotated(source: str, adaptive: bool) -> str:
    return _OLD_ANNOTATIONS.format(
        source=source,
        stats_columns=_OLD_STATS_COLUMNS if adaptive else "",
        stats_joins=_OLD_STATS_JOINS if adaptive else "",
    )


def _old_walk(
    criteria: Any, user_id: Any, starts: list[float], difficulties: Any, adaptive: bool
) -> tuple[Any, dict[str, Any]]:
    from sqlalchemy import text

    from lectern.assessment.selection import RUN_LENGTH, _where

    if difficulties is not None:
        starts_sql = (
            "unnest(CAST(:starts AS float8[]), CAST(:difficulties AS text[])) AS s(start, d)"
        )
        difficulty_expr: str | None = "s.d"
    else:
        starts_sql = "unnest(CAST(:starts AS float8[])) AS s(start)"
        difficulty_expr = ":difficulty" if criteria.difficulty is not None else None
    where, params = _where(criteria, difficulty_expr)
    source = f"""{starts_sql}
    CROSS JOIN LATERAL (
        (SELECT q.id, q.topic, q.random_key FROM questions q
         WHERE {where} AND q.random_key >= s.start
         ORDER BY q.random_key LIMIT :run)
        UNION ALL
        (SELECT q.id, q.topic, q.random_key FROM questions q
         WHERE {where} AND q.random_key < s.start
         ORDER BY q.random_key LIMIT :run)
        LIMIT :run
    ) AS w"""
    params.update(starts=list(starts), run=RUN_LENGTH, user_id=user_id)
    if difficulties is not None:
        params["difficulties"] = [d.value for d in difficulties]
    return text(_old_annotated(source, adaptive)), params


def _old_complete(criteria: Any, user_id: Any, limit: int, adaptive: bool) -> Any:
    from sqlalchemy import text

    from lectern.assessment.selection import _where

    difficulty_expr = ":difficulty" if criteria.difficulty is not None else None
    where, params = _where(criteria, difficulty_expr)
    source = f"(SELECT q.id, q.topic FROM questions q WHERE {where} LIMIT :limit) AS w"
    return text(_old_annotated(source, adaptive)).bindparams(**params, user_id=user_id, limit=limit)


@dataclass(frozen=True)
class _OldCandidate:
    id: Any
    last_seen_at: Any
    weight: float


def _candidate(row: Any, adaptive: bool) -> _OldCandidate:
    """A candidate row and, when adaptive, its weight: computed here, in Python."""
    from lectern.assessment import selection as s

    weight = 1.0
    if adaptive:
        answered, correct = row.t_answered or 0, row.t_correct or 0
        accuracy = (correct + s.PRIOR_CORRECT) / (answered + s.PRIOR_CORRECT + s.PRIOR_WRONG)
        weight = max(1.0 - accuracy, s.WEAKNESS_FLOOR)
        answered, correct = row.q_answered or 0, row.q_correct or 0
        low, high = s.SWEET_SPOT
        if answered >= s.MIN_STATS_ANSWERS and low <= correct / answered <= high:
            weight *= s.SWEET_SPOT_FACTOR
    return _OldCandidate(id=row.id, last_seen_at=row.last_seen_at, weight=weight)


def _old_weighted_sample(candidates: list[Any], k: int, rng: random.Random) -> list[Any]:
    keyed = sorted(candidates, key=lambda c: rng.random() ** (1.0 / c.weight), reverse=True)
    return keyed[:k]


def old_select_question_ids(
    db: Any, user_id: Any, criteria: Any, size: int, *, adaptive: bool, rng: random.Random
) -> list[Any]:
    """``lectern.assessment.selection.select_question_ids`` before issue 19."""
    import math
    from operator import attrgetter

    from lectern.assessment.models import Difficulty
    from lectern.assessment.selection import (
        MIN_CANDIDATES,
        OVERLAP_SIGNAL,
        OVERSAMPLE,
        RUN_LENGTH,
        spreads_difficulties,
    )

    want = max(OVERSAMPLE * size, MIN_CANDIDATES)
    starts = [rng.random() for _ in range(math.ceil(want / RUN_LENGTH))]
    difficulties = None
    if spreads_difficulties(criteria):
        levels = list(Difficulty)
        offset = rng.randrange(len(levels))
        difficulties = [levels[(offset + i) % len(levels)] for i in range(len(starts))]
    stmt, params = _old_walk(criteria, user_id, starts, difficulties, adaptive)
    rows = db.execute(stmt, params).all()
    found = {row.id: _candidate(row, adaptive) for row in rows}
    short_runs = len(starts) * RUN_LENGTH - len(rows)
    overlaps = len(rows) - len(found)
    if short_runs or overlaps > len(rows) * OVERLAP_SIGNAL:
        rest = db.execute(_old_complete(criteria, user_id, want + 1, adaptive)).all()
        if len(rest) <= want:
            found = {row.id: _candidate(row, adaptive) for row in rest}
        else:
            for row in rest:
                if len(found) >= size:
                    break
                found.setdefault(row.id, _candidate(row, adaptive))
    candidates = list(found.values())
    unseen = [c for c in candidates if c.last_seen_at is None]
    seen = sorted(
        (c for c in candidates if c.last_seen_at is not None), key=attrgetter("last_seen_at")
    )
    if adaptive:
        picked = _old_weighted_sample(unseen, size, rng)
    else:
        rng.shuffle(unseen)
        picked = unseen[:size]
    picked += seen[: size - len(picked)]
    rng.shuffle(picked)
    return [c.id for c in picked]


if __name__ == "__main__":
    main()

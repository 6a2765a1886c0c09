"""The review queue of a learner with 50,000 cards, and a review's round trip through the
`study` handler, same run.

    .venv/bin/python bench/study_queue.py [--cards 50000] [--others 100000] [--runs 31]

Fills one learner with ``--cards`` flashcards by ``INSERT ... SELECT generate_series``:
four in five reviewed (in the review state, due dates spread over 200 days either side
of now, so about 20,000 are due) and one in five new, plus ``--others`` cards of 100
other learners so the indexes hold more than this learner's. Then VACUUM ANALYZE.

Times ``lectern.study.reviews.queue`` (20 cards: the due ones by the partial index on
``(user_id, due)``, the count of due cards, today's new-card allowance) and
``reviews.stats``. The baseline is the same due-cards query written so the partial
index cannot serve it (``reps > 0`` instead of the state predicate): the learner's cards
read by ``user_id`` and sorted, what the query costs without that index.

Then the review round trip: ``POST /v1/study/items/{id}/reviews`` as an API Gateway
event through the real handler (auth against the KV emulator, the row lock, FSRS, the
review row, the commit), each call on another due card; beside it ``GET
/v1/study/items/{id}`` through the same handler. Prints medians and p95 in ms.
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

QUEUE = 20
OTHER_LEARNERS = 100

FILL = """
INSERT INTO study_items (id, user_id, type, front, back, state, step, stability, difficulty,
                         due, last_reviewed_at, reps, created_at, updated_at)
SELECT gen_random_uuid(), :user, 'flashcard', 'Front ' || n, 'Back ' || n,
       CAST(CASE WHEN mod(n, 5) = 0 THEN 'new' ELSE 'review' END AS study_card_state),
       CASE WHEN mod(n, 5) = 0 THEN 0 END,
       CASE WHEN mod(n, 5) = 0 THEN NULL ELSE 5 + mod(n, 50) END,
       CASE WHEN mod(n, 5) = 0 THEN NULL ELSE 1 + mod(n, 9) END,
       now() + make_interval(mins => mod(n * 7919, 576000) - 288000),
       CASE WHEN mod(n, 5) = 0 THEN NULL ELSE now() - interval '30 days' END,
       CASE WHEN mod(n, 5) = 0 THEN 0 ELSE 3 END,
       now() - make_interval(secs => :count - n), now()
FROM generate_series(1, :count) AS n
"""


def _user(conn: Any, email: str) -> uuid.UUID:
    from sqlalchemy import text

    user = uuid.uuid4()
    conn.execute(
        text("INSERT INTO users (id, email) VALUES (:id, :email)"), {"id": user, "email": email}
    )
    conn.execute(
        text(
            "INSERT INTO profiles (user_id, display_name, role, preferences)"
            " VALUES (:id, 'Bench', 'student', '{}')"
        ),
        {"id": user},
    )
    return user


def fill(cards: int, others: int) -> uuid.UUID:
    from sqlalchemy import text

    from bench.harness import bulk_engine

    engine = bulk_engine()
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET statement_timeout = 0"))
        learner = _user(conn, f"learner-{uuid.uuid4().hex[:8]}@bench.invalid")
        conn.execute(text(FILL), {"user": learner, "count": cards})
        for n in range(OTHER_LEARNERS):
            other = _user(conn, f"other-{n}-{uuid.uuid4().hex[:8]}@bench.invalid")
            conn.execute(text(FILL), {"user": other, "count": others // OTHER_LEARNERS})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE study_items, study_reviews"))
    print(f"  filled {cards + others:,} cards in {time.perf_counter() - started:.1f} s")
    engine.dispose()
    return learner


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


def queue_and_stats(learner: uuid.UUID, runs: int) -> list[tuple[str, list[float]]]:
    from sqlalchemy import text

    from lectern.core.principal import Principal, UserRole
    from lectern.db.engine import get_sessionmaker
    from lectern.study import reviews

    principal = Principal(learner, UserRole.student, "bench")
    without_index = text(
        "SELECT * FROM study_items WHERE user_id = :me AND reps > 0 AND due <= now()"
        " ORDER BY due, id LIMIT :limit"
    )
    with get_sessionmaker()() as db:
        queue = reviews.queue(db, principal, limit=QUEUE)
        assert len(queue.items) == QUEUE and queue.due_count > 10_000, queue.due_count
        print(f"  {queue.due_count:,} cards due now")
        results = [
            ("queue (ours)", timed(lambda: reviews.queue(db, principal, limit=QUEUE), runs)),
            (
                "due cards without the index",
                timed(
                    lambda: db.execute(without_index, {"me": learner, "limit": QUEUE}).all(),
                    runs,
                ),
            ),
            ("stats", timed(lambda: reviews.stats(db, principal), runs)),
        ]
        db.rollback()
    return results


def round_trips(learner: uuid.UUID, runs: int) -> list[tuple[str, list[float]]]:
    from sqlalchemy import select

    from lectern.core.principal import UserRole
    from lectern.db.engine import get_sessionmaker
    from lectern.identity.sessions import create_session
    from lectern.study.models import CardState, StudyItem
    from local.events import LambdaContext, http_event
    from local.functions import load_module

    token = create_session(learner, UserRole.student).token
    with get_sessionmaker()() as db:
        due = list(
            db.scalars(
                select(StudyItem.id)
                .where(StudyItem.user_id == learner, StudyItem.state == CardState.review)
                .order_by(StudyItem.due)
                .limit(runs + 1)
            )
        )
    handler = load_module("study").handler
    cards = iter(due)

    def review() -> None:
        event = http_event(
            "POST",
            f"/v1/study/items/{next(cards)}/reviews",
            body={"rating": "good"},
            token=token,
            route_key="POST /v1/study/items/{id}/reviews",
        )
        result = handler(event, LambdaContext())
        assert result["statusCode"] == 201, result

    def read() -> None:
        event = http_event(
            "GET", f"/v1/study/items/{due[0]}", token=token, route_key="GET /v1/study/items/{id}"
        )
        assert handler(event, LambdaContext())["statusCode"] == 200

    return [
        ("review (POST …/reviews)", timed(review, runs)),
        ("read (GET …/{id})", timed(read, runs)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=50_000)
    parser.add_argument("--others", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()

    from bench.harness import embedded_stack

    with embedded_stack(POWERTOOLS_METRICS_DISABLED="true"):
        print(f"filling {args.cards:,} cards of one learner and {args.others:,} of others ...")
        learner = fill(args.cards, args.others)
        queries = queue_and_stats(learner, args.runs)
        trips = round_trips(learner, args.runs)

    print()
    print(f"a learner with {args.cards:,} cards; median and p95 of {args.runs} calls (ms)")
    header = f"{'call':34} {'median':>8} {'p95':>8}"
    print(header)
    print("-" * len(header))
    for name, samples in queries + trips:
        print(f"{name:34} {statistics.median(samples):8.2f} {p95(samples):8.2f}")
    ours, baseline = statistics.median(queries[0][1]), statistics.median(queries[1][1])
    print(f"due cards without the index / whole queue: {baseline / ours:.1f}x")
    review, read = statistics.median(trips[0][1]), statistics.median(trips[1][1])
    print(f"review round trip / read round trip: {review / read:.1f}x")


if __name__ == "__main__":
    main()

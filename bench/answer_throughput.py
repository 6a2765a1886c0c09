"""Answer throughput: concurrent learners answering through the `assessments` handler.

    .venv/bin/python bench/answer_throughput.py [--learners 8] [--answers 50] [--via handler]

Each learner (a thread with its own database connection, as a Lambda container has)
answers its own practice exam question by question: ``POST /v1/exams/{id}/answers``
through the function's real Lambda handler (API Gateway v2 events via
``local.events.http_event``), or with ``--via service`` straight through
``lectern.assessment.exams.answer``. Every answer locks its exam, inserts the answer,
moves three counters, awards XP for a right one and publishes it to the leaderboard.
All learners answer the same questions, so the per-question counters are contended.

The baseline, measured in the same run with the same threads, is a read the same
learners make as often: ``GET /v1/me/performance`` (or ``performance()``).
Prints answers per second and p50/p95 latency beside the baseline's, and checks that
the counters equal the answers recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--answers", type=int, default=50, help="answers per learner")
    parser.add_argument("--via", choices=("handler", "service"), default="handler")
    args = parser.parse_args()

    from lectern.db.migrations import upgrade
    from local.stack import LocalStack

    stack = LocalStack()
    stack.start()
    os.environ.update(
        {
            **stack.env,
            "LECTERN_ENV": "test",
            "LECTERN_DB_POOL_SIZE": str(args.learners + 2),
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    try:
        upgrade(stack.env["LECTERN_DATABASE_URL"])
        results = run(args)
    finally:
        stack.stop()

    print(
        f"\n{args.learners} learners x {args.answers} answers, via {args.via}"
        f" ({'Lambda handler' if args.via == 'handler' else 'service functions'})"
    )
    header = f"{'operation':28} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8}"
    print(header)
    print("-" * len(header))
    for name, (rate, samples) in results.items():
        print(
            f"{name:28} {rate:8.1f} {statistics.median(samples):8.2f} "
            f"{percentile(samples, 0.95):8.2f}"
        )
    (answer_rate, answers), (read_rate, reads) = results.values()
    print(
        f"answer / read: p50 {statistics.median(answers) / statistics.median(reads):.1f}x, "
        f"throughput {answer_rate / read_rate:.2f}x"
    )


def _setup(
    args: argparse.Namespace,
) -> tuple[list[Any], dict[Any, Any], dict[Any, list[dict[str, Any]]]]:
    """Accounts, a bank, one practice exam per learner and its answer bodies (60% right)."""
    import random

    from sqlalchemy import select

    from lectern.assessment.exams import create_exam
    from lectern.assessment.questions import create_questions
    from lectern.assessment.schemas import ExamIn, QuestionIn
    from lectern.db.engine import get_sessionmaker
    from lectern.db.models.assessment import QuestionOption
    from lectern.db.models.identity import UserRole
    from lectern.identity.service import create_account
    from lectern.identity.sessions import create_session, resolve_session

    def account(role: UserRole, n: int) -> tuple[Any, str]:
        with get_sessionmaker()() as db:
            user = create_account(
                db, email=f"{role.value}{n}@example.com", name=f"L{n}", password=None, role=role
            )
            db.commit()
        token = create_session(user.id, role).token
        return resolve_session(token), token

    author, _ = account(UserRole.instructor, 0)
    difficulties = ("easy", "medium", "hard")
    items = [
        QuestionIn.model_validate(
            {
                "prompt": f"Question {i}?",
                "type": "single_choice",
                "difficulty": difficulties[i % 3],
                "topic": f"topic-{i % 5}",
                "subject": "bench",
                "options": [
                    {"text": "right", "is_correct": True},
                    {"text": "wrong", "is_correct": False},
                    {"text": "also wrong", "is_correct": False},
                ],
                "explanation": "Because.",
            }
        )
        for i in range(args.answers)
    ]
    with get_sessionmaker()() as db:
        create_questions(db, author, items)
    learners = [account(UserRole.student, n + 1) for n in range(args.learners)]
    exams: dict[Any, Any] = {}
    bodies: dict[Any, list[dict[str, Any]]] = {}
    rng = random.Random(3)
    with get_sessionmaker()() as db:
        for principal, _ in learners:
            exam = create_exam(
                db, principal, ExamIn(size=args.answers, subject="bench", mode="practice")
            )
            exams[principal.user_id] = exam.id
            ids = [q.id for q in exam.questions]
            options = db.scalars(select(QuestionOption).where(QuestionOption.question_id.in_(ids)))
            right = {o.question_id: str(o.id) for o in options if o.is_correct}
            wrong = {q.id: str(q.options[-1].id) for q in exam.questions}
            bodies[principal.user_id] = [
                {
                    "question_id": str(qid),
                    "option_ids": [(right if rng.random() < 0.6 else wrong)[qid]],
                }
                for qid in ids
            ]
    return learners, exams, bodies


def run(args: argparse.Namespace) -> dict[str, tuple[float, list[float]]]:
    from lectern.assessment.exams import answer
    from lectern.assessment.performance import performance
    from lectern.assessment.schemas import ExamAnswerIn
    from lectern.db.engine import get_sessionmaker
    from local.events import LambdaContext, http_event
    from local.functions import load_module

    learners, exams, bodies = _setup(args)
    handler = load_module("assessments").handler

    def via_handler(method: str, path: str, token: str, body: Any, expected: int) -> None:
        reply = handler(http_event(method, path, token=token, body=body), LambdaContext())
        if reply["statusCode"] != expected:
            raise RuntimeError(f"{method} {path}: {reply['statusCode']} {reply.get('body')}")

    def answer_op(principal: Any, token: str, i: int) -> None:
        body = bodies[principal.user_id][i]
        exam_id = exams[principal.user_id]
        if args.via == "handler":
            via_handler("POST", f"/v1/exams/{exam_id}/answers", token, body, 201)
        else:
            with get_sessionmaker()() as db:
                answer(db, principal, exam_id, ExamAnswerIn.model_validate(body))

    def read_op(principal: Any, token: str, _: int) -> None:
        if args.via == "handler":
            via_handler("GET", "/v1/me/performance", token, None, 200)
        else:
            with get_sessionmaker()() as db:
                performance(db, principal)

    def measure(op: Callable[[Any, str, int], None]) -> tuple[float, list[float]]:
        barrier = threading.Barrier(len(learners))
        latencies: list[float] = []
        lock = threading.Lock()

        def learner_loop(who: tuple[Any, str]) -> None:
            # Mangum runs each request on the thread's event loop; worker threads have none.
            asyncio.set_event_loop(asyncio.new_event_loop())
            principal, token = who
            mine = []
            barrier.wait()
            for i in range(args.answers):
                t0 = time.perf_counter()
                op(principal, token, i)
                mine.append((time.perf_counter() - t0) * 1000)
            with lock:
                latencies.extend(mine)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(learners)) as pool:
            list(pool.map(learner_loop, learners))
        elapsed = time.perf_counter() - started
        return len(latencies) / elapsed, latencies

    # Warm the handler's imports, engine and KV client before either measurement.
    read_op(*learners[0], 0)
    reads = measure(read_op)
    answers = measure(answer_op)
    _check(learners)
    return {"answer (POST .../answers)": answers, "read (GET /v1/me/performance)": reads}


def _check(learners: list[tuple[Any, str]]) -> None:
    """The counters must equal the answers recorded, whatever the concurrency."""
    from sqlalchemy import func, select

    from lectern.db.engine import get_sessionmaker
    from lectern.db.models.assessment import Exam, ExamAnswer, LearnerStats

    with get_sessionmaker()() as db:
        for principal, _ in learners:
            truth = db.execute(
                select(func.count(), func.count().filter(ExamAnswer.is_correct))
                .join(Exam, Exam.id == ExamAnswer.exam_id)
                .where(Exam.user_id == principal.user_id)
            ).one()
            stats = db.get(LearnerStats, principal.user_id)
            assert stats is not None and (stats.answered, stats.correct) == tuple(truth), (
                json.dumps({"stats": [stats.answered, stats.correct], "truth": list(truth)})
            )


if __name__ == "__main__":
    main()

"""Answer throughput: concurrent learners answering through the `assessments` handler.

    .venv/bin/python bench/answer_throughput.py [--learners 8] [--answers 50]
        [--workers processes|threads] [--via handler|service]

Each learner answers its own practice exam question by question:
``POST /v1/exams/{id}/answers`` through the function's real Lambda handler (API Gateway v2
events via ``local.events.http_event``). Every answer locks its exam, inserts the answer,
moves three counters, awards XP for a right one and publishes it to the leaderboard.
All learners answer the same questions, so the per-question counters are contended.

``--workers processes`` (the default) runs each learner in its own spawned process that
imports the handler itself and warms it with one request before the measurement, as a warm
Lambda container: in production each concurrent learner gets its own container (its own
interpreter, one DB connection, one request at a time), so no GIL is shared between
learners. ``--workers threads`` runs the learners as threads of this process, where they
share one GIL with each other and with the embedded stack (the Upstash emulator and moto
run as threads of this process in both modes), so one learner's Python work stalls the
others' and latency measures the GIL more than the request. Only the thread mode has
``--via service``, which calls ``lectern.assessment.exams.answer`` instead of the handler.

The baseline, measured in the same run by the same learners, is a read they make as
often: ``GET /v1/me/performance`` (or ``performance()``). Rates are over the wall time
of each measured phase. Prints answers per second and p50/p95 latency beside the
baseline's, and checks that the counters equal the answers recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
import traceback
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
    parser.add_argument("--workers", choices=("processes", "threads"), default="processes")
    parser.add_argument("--via", choices=("handler", "service"), default="handler")
    args = parser.parse_args()
    if args.workers == "processes" and args.via == "service":
        parser.error("--via service needs --workers threads")

    from lectern.db.migrations import upgrade
    from local.stack import LocalStack

    stack = LocalStack(typesense=False)  # this bench does not search
    stack.start()
    env = {
        **stack.env,
        "LECTERN_ENV": "test",
        "LECTERN_DB_POOL_SIZE": str(args.learners + 2),
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    os.environ.update(env)
    try:
        upgrade(stack.env["LECTERN_DATABASE_URL"])
        learners, exams, bodies = _setup(args)
        if args.workers == "processes":
            reads, answers = run_processes(args, env, learners, exams, bodies)
        else:
            reads, answers = run_threads(args, learners, exams, bodies)
        _check(learners)
    finally:
        stack.stop()

    print(
        f"\n{args.learners} learners x {args.answers} answers, via {args.via}"
        f" ({'Lambda handler' if args.via == 'handler' else 'service functions'}),"
        f" one {'process' if args.workers == 'processes' else 'thread'} per learner"
    )
    header = f"{'operation':28} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8}"
    print(header)
    print("-" * len(header))
    results = {"answer (POST .../answers)": answers, "read (GET /v1/me/performance)": reads}
    for name, (rate, samples) in results.items():
        print(
            f"{name:28} {rate:8.1f} {statistics.median(samples):8.2f} "
            f"{percentile(samples, 0.95):8.2f}"
        )
    (answer_rate, answer_samples), (read_rate, read_samples) = answers, reads
    print(
        f"answer / read: p50 "
        f"{statistics.median(answer_samples) / statistics.median(read_samples):.1f}x, "
        f"throughput {answer_rate / read_rate:.2f}x"
    )


def _setup(
    args: argparse.Namespace,
) -> tuple[list[Any], dict[Any, Any], dict[Any, list[dict[str, Any]]]]:
    """Accounts, a bank, one practice exam per learner and its answer bodies (60% right)."""
    import random

    from sqlalchemy import select

    from lectern.assessment.exams import create_exam
    from lectern.assessment.models import QuestionOption
    from lectern.assessment.questions import create_questions
    from lectern.assessment.schemas import ExamIn, QuestionIn
    from lectern.core.principal import UserRole
    from lectern.db.engine import get_sessionmaker
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


Samples = tuple[float, list[float]]  # (operations per second, latencies in ms)


def run_threads(
    args: argparse.Namespace,
    learners: list[tuple[Any, str]],
    exams: dict[Any, Any],
    bodies: dict[Any, list[dict[str, Any]]],
) -> tuple[Samples, Samples]:
    """Every learner a thread of this process; returns (reads, answers)."""
    from lectern.assessment.exams import answer
    from lectern.assessment.performance import performance
    from lectern.assessment.schemas import ExamAnswerIn
    from lectern.db.engine import get_sessionmaker
    from local.events import LambdaContext, http_event
    from local.functions import load_module

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

    def measure(op: Callable[[Any, str, int], None]) -> Samples:
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
    return measure(read_op), measure(answer_op)


def run_processes(
    args: argparse.Namespace,
    env: dict[str, str],
    learners: list[tuple[Any, str]],
    exams: dict[Any, Any],
    bodies: dict[Any, list[dict[str, Any]]],
) -> tuple[Samples, Samples]:
    """Every learner its own process, as a warm Lambda container; returns (reads, answers)."""
    # spawn, not fork: a fresh interpreter that imports the handler itself, as a container
    # does, and inherits none of this process's threads, connections or locks.
    ctx = multiprocessing.get_context("spawn")
    # The parent is a party too, so it knows when a phase starts; the barrier is reused
    # for the answers phase once every learner has reported its reads.
    start = ctx.Barrier(len(learners) + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_learner_process,
            args=(env, token, exams[p.user_id], bodies[p.user_id]),
            kwargs={"start": start, "results": results},
            daemon=True,
        )
        for p, token in learners
    ]
    for proc in procs:
        proc.start()

    def measure() -> Samples:
        try:
            start.wait(timeout=300)  # spawning and warming the interpreters takes a while
        except threading.BrokenBarrierError:
            raise RuntimeError(f"a learner failed:\n{results.get(timeout=10)}") from None
        started = time.perf_counter()
        latencies: list[float] = []
        for _ in procs:
            mine = results.get(timeout=300)
            if isinstance(mine, str):  # a learner's traceback
                raise RuntimeError(f"a learner failed:\n{mine}")
            latencies.extend(mine)
        elapsed = time.perf_counter() - started
        return len(latencies) / elapsed, latencies

    try:
        return measure(), measure()
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()


def _learner_process(
    env: dict[str, str],
    token: str,
    exam_id: Any,
    bodies: list[dict[str, Any]],
    *,
    start: Any,
    results: Any,
) -> None:
    """One learner in its own process: warm up, then reads, then answers, each on the barrier."""
    try:
        os.environ.update(env)  # before the handler's imports read the settings
        from local.events import LambdaContext, http_event
        from local.functions import load_module

        handler = load_module("assessments").handler

        def call(method: str, path: str, body: Any, expected: int) -> None:
            reply = handler(http_event(method, path, token=token, body=body), LambdaContext())
            if reply["statusCode"] != expected:
                raise RuntimeError(f"{method} {path}: {reply['statusCode']} {reply.get('body')}")

        phases = [
            [("GET", "/v1/me/performance", None, 200)] * len(bodies),
            [("POST", f"/v1/exams/{exam_id}/answers", body, 201) for body in bodies],
        ]
        call(*phases[0][0])  # the cold start, excluded as for a warm container
        for requests in phases:
            start.wait()
            latencies = []
            for request in requests:
                t0 = time.perf_counter()
                call(*request)
                latencies.append((time.perf_counter() - t0) * 1000)
            results.put(latencies)
    except BaseException:
        # Hand the parent the traceback and break the barrier rather than leave it waiting.
        results.put(traceback.format_exc())
        start.abort()
        raise


def _check(learners: list[tuple[Any, str]]) -> None:
    """The counters must equal the answers recorded, whatever the concurrency."""
    from sqlalchemy import func, select

    from lectern.assessment.models import Exam, ExamAnswer, LearnerStats
    from lectern.db.engine import get_sessionmaker

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

"""Answer throughput: concurrent learners answering through the `assessments` handler.

    .venv/bin/python bench/answer_throughput.py [--learners 8] [--answers 50]
        [--path both|new|old] [--workers processes|threads] [--via handler|service]

Each learner answers practice exams question by question:
``POST /v1/exams/{id}/answers`` through the function's real Lambda handler (API Gateway v2
events via ``local.events.http_event``). Every answer locks its exam, records the answer,
moves the learner's and the question's counters, awards XP for a right one and
publishes it to the leaderboard. All learners answer the same questions, so the
question counters are contended.

``--path`` picks the answer path. ``new`` is the product's: one function call grades
and records a choice answer (locks the exam, reads what grading needs, writes
everything), a commit; the question's counters are spread over shards. ``old`` is the
path before issue 19, kept in this file only (ORM reads of the exam, the question and
its options, then the answer, the XP ledger, the profile and one statement of three
counter upserts, the question's one row shared by every learner): ~10 statements,
behind the sync route whose dependencies each hop to a worker thread. Both run on
today's engine, which sends each statement in one round trip instead of pg8000's three
(and prepares one run three times), so the old path gains that too. ``both`` (the
default) measures the two in the same run, each on exams of its own questions (so both
pay XP), old first.

``--workers processes`` (the default) runs each learner in its own spawned process that
imports the handler itself and warms it with a few requests before the measurement (its
statements prepared), as a warm Lambda container: in production each concurrent learner
gets its own container (its own interpreter, one DB connection, one request at a time),
so no GIL is shared between learners. ``--workers threads`` runs the learners as threads
of this process, where they share one GIL with each other and with the embedded stack
(the Upstash emulator and moto run as threads of this process in both modes), so one
learner's Python work stalls the others' and latency measures the GIL more than the
request. Only the thread mode has
``--via service``, which calls the answer service function instead of the handler.

The baseline, measured in the same run by the same learners, is a read they make as
often: ``GET /v1/me/performance`` (or ``performance()``). Rates are over the wall time
of each measured phase. Prints answers per second and p50/p95 latency of each path
beside the baseline's, the new / old ratios, and checks that the counters equal the
answers recorded.
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
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
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
    parser.add_argument("--path", choices=("both", "new", "old"), default="both")
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
        paths = ["old", "new"] if args.path == "both" else [args.path]
        learners, exams, bodies = _setup(args, paths)
        if args.workers == "processes":
            results = run_processes(env, learners, exams, bodies)
        else:
            results = run_threads(args, learners, exams, bodies)
        _check(learners)
    finally:
        stack.stop()

    print(
        f"\n{args.learners} learners x {args.answers} answers, via {args.via}"
        f" ({'Lambda handler' if args.via == 'handler' else 'service functions'}),"
        f" one {'process' if args.workers == 'processes' else 'thread'} per learner"
    )
    header = f"{'operation':34} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8}"
    print(header)
    print("-" * len(header))
    names = {
        "read": "read (GET /v1/me/performance)",
        "old": "answer, old path (before #19)",
        "new": "answer, new path",
    }
    for phase, (rate, samples) in results.items():
        print(
            f"{names[phase]:34} {rate:8.1f} {statistics.median(samples):8.2f} "
            f"{percentile(samples, 0.95):8.2f}"
        )
    read_rate, read_samples = results["read"]
    for phase in paths:
        rate, samples = results[phase]
        print(
            f"{phase} answer / read: p50 "
            f"{statistics.median(samples) / statistics.median(read_samples):.2f}x, "
            f"throughput {rate / read_rate:.2f}x"
        )
    if len(paths) == 2:
        (old_rate, old_samples), (new_rate, new_samples) = results["old"], results["new"]
        print(
            f"new / old: throughput {new_rate / old_rate:.2f}x, "
            f"p50 {statistics.median(new_samples) / statistics.median(old_samples):.2f}x"
        )


Exams = dict[str, dict[Any, Any]]  # path -> learner -> exam id
Bodies = dict[str, dict[Any, list[dict[str, Any]]]]  # path -> learner -> answer bodies


def _setup(args: argparse.Namespace, paths: list[str]) -> tuple[list[Any], Exams, Bodies]:
    """Accounts; per path, a bank of its own and one practice exam per learner with its
    answer bodies (60% right)."""
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
    learners = [account(UserRole.student, n + 1) for n in range(args.learners)]
    difficulties = ("easy", "medium", "hard")
    exams: Exams = {}
    bodies: Bodies = {}
    rng = random.Random(3)
    for path in paths:
        items = [
            QuestionIn.model_validate(
                {
                    "prompt": f"Question {i}?",
                    "type": "single_choice",
                    "difficulty": difficulties[i % 3],
                    "topic": f"topic-{i % 5}",
                    "subject": f"bench-{path}",
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
        exams[path], bodies[path] = {}, {}
        with get_sessionmaker()() as db:
            for principal, _ in learners:
                exam = create_exam(
                    db,
                    principal,
                    ExamIn(size=args.answers, subject=f"bench-{path}", mode="practice"),
                )
                exams[path][principal.user_id] = exam.id
                ids = [q.id for q in exam.questions]
                options = db.scalars(
                    select(QuestionOption).where(QuestionOption.question_id.in_(ids))
                )
                right = {o.question_id: str(o.id) for o in options if o.is_correct}
                wrong = {q.id: str(q.options[-1].id) for q in exam.questions}
                bodies[path][principal.user_id] = [
                    {
                        "question_id": str(qid),
                        "option_ids": [(right if rng.random() < 0.6 else wrong)[qid]],
                    }
                    for qid in ids
                ]
    return learners, exams, bodies


Samples = tuple[float, list[float]]  # (operations per second, latencies in ms)


def old_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The answer route as it was (a sync route with sync dependencies, each run on a
    worker thread) over the old service function, in an app of its own."""

    from fastapi import APIRouter

    from lectern.api.app import create_app, lambda_handler
    from lectern.api.deps import CurrentPrincipal, DbSession
    from lectern.assessment.schemas import ExamAnswerIn, ExamAnswerOut

    router = APIRouter(prefix="/v1")

    def answer(id: Any, body: Any, principal: Any, db: Any) -> Any:
        return old_answer(db, principal, id, body)

    # Real annotations, not this module's postponed strings: FastAPI resolves those in the
    # module's globals, where these names (imported here, after the settings) are not.
    answer.__annotations__ = {
        "id": uuid.UUID,
        "body": ExamAnswerIn,
        "principal": CurrentPrincipal,
        "db": DbSession,
        "return": ExamAnswerOut,
    }
    router.post("/exams/{id}/answers", status_code=201)(answer)
    return lambda_handler(create_app(router))


def run_threads(
    args: argparse.Namespace, learners: list[tuple[Any, str]], exams: Exams, bodies: Bodies
) -> dict[str, Samples]:
    """Every learner a thread of this process; returns the samples of each phase."""
    read_op, answer_op = _thread_ops(args, exams, bodies)

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

    # Warm the handler's imports, engine and KV client before any measurement.
    read_op(*learners[0], 0)
    results = {"read": measure(read_op)}
    for phase in exams:
        results[phase] = measure(answer_op(phase))
    return results


Op = Callable[[Any, str, int], None]


def _thread_ops(
    args: argparse.Namespace, exams: Exams, bodies: Bodies
) -> tuple[Op, Callable[[str], Op]]:
    """The read, and each path's answer, through the handler or the service functions."""
    from lectern.assessment import exams as exams_service
    from lectern.assessment.performance import performance
    from lectern.assessment.schemas import ExamAnswerIn
    from lectern.db.engine import get_sessionmaker
    from local.events import LambdaContext, http_event
    from local.functions import load_module

    handlers = {"new": load_module("assessments").handler, "old": old_handler()}
    services = {"new": exams_service.answer, "old": old_answer}

    def via_handler(
        method: str, path: str, token: str, body: Any, expected: int, *, phase: str = "new"
    ) -> None:
        event = http_event(method, path, token=token, body=body)
        reply = handlers[phase](event, LambdaContext())
        if reply["statusCode"] != expected:
            raise RuntimeError(f"{method} {path}: {reply['statusCode']} {reply.get('body')}")

    def answer_op(phase: str) -> Op:
        def op(principal: Any, token: str, i: int) -> None:
            body = bodies[phase][principal.user_id][i]
            exam_id = exams[phase][principal.user_id]
            if args.via == "handler":
                via_handler("POST", f"/v1/exams/{exam_id}/answers", token, body, 201, phase=phase)
                return
            with get_sessionmaker()() as db:
                services[phase](db, principal, exam_id, ExamAnswerIn.model_validate(body))

        return op

    def read_op(principal: Any, token: str, _: int) -> None:
        if args.via == "handler":
            via_handler("GET", "/v1/me/performance", token, None, 200)
            return
        with get_sessionmaker()() as db:
            performance(db, principal)

    return read_op, answer_op


def run_processes(
    env: dict[str, str], learners: list[tuple[Any, str]], exams: Exams, bodies: Bodies
) -> dict[str, Samples]:
    """Every learner its own process, as a warm Lambda container; returns the samples of
    each phase."""
    # spawn, not fork: a fresh interpreter that imports the handler itself, as a container
    # does, and inherits none of this process's threads, connections or locks.
    ctx = multiprocessing.get_context("spawn")
    # The parent is a party too, so it knows when a phase starts; the barrier is reused
    # for each phase once every learner has reported the previous one.
    start = ctx.Barrier(len(learners) + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_learner_process,
            args=(
                env,
                token,
                {path: exams[path][p.user_id] for path in exams},
                {path: bodies[path][p.user_id] for path in exams},
            ),
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
        return {phase: measure() for phase in ["read", *exams]}
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()


def _learner_process(
    env: dict[str, str],
    token: str,
    exam_ids: dict[str, Any],
    bodies: dict[str, list[dict[str, Any]]],
    *,
    start: Any,
    results: Any,
) -> None:
    """One learner in its own process: warm up, then reads, then each path's answers, each
    phase on the barrier."""
    try:
        os.environ.update(env)  # before the handler's imports read the settings
        from local.events import LambdaContext, http_event
        from local.functions import load_module

        handlers = {"read": load_module("assessments").handler, "old": old_handler()}
        handlers["new"] = handlers["read"]

        def call(phase: str, method: str, path: str, body: Any, expected: int) -> None:
            event = http_event(method, path, token=token, body=body)
            reply = handlers[phase](event, LambdaContext())
            if reply["statusCode"] != expected:
                raise RuntimeError(f"{method} {path}: {reply['statusCode']} {reply.get('body')}")

        reads = [("GET", "/v1/me/performance", None, 200)] * len(next(iter(bodies.values())))
        phases = [("read", reads)] + [
            (path, [("POST", f"/v1/exams/{exam_ids[path]}/answers", b, 201) for b in answers])
            for path, answers in bodies.items()
        ]
        # The cold start, excluded as for a warm container; each path is warmed by a few
        # requests (answers it refuses, 422: not a question of the exam, which write
        # nothing), as many as the engine runs a statement before it prepares it.
        from lectern.db.dialect import PREPARE_AFTER

        for _ in range(PREPARE_AFTER):
            call("read", *reads[0])
        stranger = {"question_id": str(uuid.uuid4()), "option_ids": [str(uuid.uuid4())]}
        for path, exam_id in exam_ids.items():
            for _ in range(PREPARE_AFTER):
                call(path, "POST", f"/v1/exams/{exam_id}/answers", stranger, 422)
        for phase, requests in phases:
            start.wait()
            latencies = []
            for request in requests:
                t0 = time.perf_counter()
                call(phase, *request)
                latencies.append((time.perf_counter() - t0) * 1000)
            results.put(latencies)
    except BaseException:
        # Hand the parent the traceback and break the barrier rather than leave it waiting.
        results.put(traceback.format_exc())
        start.abort()
        raise


# --- the answer path before issue 19, for the same-run comparison (bench only) ---------


def _old_award_xp(db: Any, user_id: Any, *, source_id: Any, amount: int, now: Any) -> Any:
    """The XP award as it was: the ledger insert, then the profile update (two statements)."""
    from sqlalchemy import Integer, case, cast, func, update
    from sqlalchemy.dialects.postgresql import insert

    from lectern.core.ids import uuid7
    from lectern.identity.models import Profile
    from lectern.progress.models import XpAward
    from lectern.progress.xp import Award, Reason, week_start

    new = db.execute(
        insert(XpAward)
        .values(
            id=uuid7(),
            user_id=user_id,
            reason=Reason.correct_answer,
            source_id=source_id,
            amount=amount,
            awarded_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "reason", "source_id"])
        .returning(XpAward.id)
    ).scalar()
    if new is None:
        return None
    today = now.date()
    week = week_start(today)
    new_xp = Profile.xp + amount
    row = db.execute(
        update(Profile)
        .where(Profile.user_id == user_id)
        .values(
            xp=new_xp,
            level=1 + cast(func.floor(func.sqrt(new_xp / 100)), Integer),
            weekly_xp=case((Profile.xp_week == week, Profile.weekly_xp + amount), else_=amount),
            xp_week=week,
            streak_days=case(
                (Profile.last_active_on == today, Profile.streak_days),
                (Profile.last_active_on == today - timedelta(days=1), Profile.streak_days + 1),
                else_=1,
            ),
            last_active_on=today,
        )
        .returning(
            Profile.xp,
            Profile.level,
            Profile.weekly_xp,
            Profile.streak_days,
            Profile.leaderboard_visible,
        )
    ).one()
    return Award(
        user_id=user_id,
        amount=amount,
        xp=row.xp,
        level=row.level,
        weekly_xp=row.weekly_xp,
        week=week,
        streak_days=row.streak_days,
        visible=row.leaderboard_visible,
    )


def _old_count_answer(db: Any, user_id: Any, question: Any, correct: bool) -> None:
    """The three counter upserts in one statement; the question's counter is one row
    every learner shares (here shard 0, which every learner of the old path uses)."""
    from sqlalchemy.dialects.postgresql import insert

    from lectern.assessment.models import LearnerStats, LearnerTopicStats, QuestionStatShard

    c = int(correct)
    learner = insert(LearnerStats).values(user_id=user_id, answered=1, correct=c)
    learner = learner.on_conflict_do_update(
        index_elements=[LearnerStats.user_id],
        set_={"answered": LearnerStats.answered + 1, "correct": LearnerStats.correct + c},
    )
    topic = insert(LearnerTopicStats).values(
        user_id=user_id, topic=question.topic, answered=1, correct=c
    )
    topic = topic.on_conflict_do_update(
        index_elements=[LearnerTopicStats.user_id, LearnerTopicStats.topic],
        set_={
            "answered": LearnerTopicStats.answered + 1,
            "correct": LearnerTopicStats.correct + c,
        },
    )
    per_question = insert(QuestionStatShard).values(
        question_id=question.id, shard=0, answered=1, correct=c
    )
    per_question = per_question.on_conflict_do_update(
        index_elements=[QuestionStatShard.question_id, QuestionStatShard.shard],
        set_={
            "answered": QuestionStatShard.answered + 1,
            "correct": QuestionStatShard.correct + c,
        },
    )
    db.execute(per_question.add_cte(learner.cte("learner"), topic.cte("topic")))


def _old_grade(question: Any, options: Any, data: Any) -> tuple[list[Any], str | None, bool]:
    """Grading as it was: in Python, from the question and its options read before."""
    from lectern.assessment.models import QuestionType
    from lectern.assessment.schemas import normalize_answer
    from lectern.errors import InvalidField

    if question.type is QuestionType.short_answer:
        if data.option_ids:
            raise InvalidField("option_ids", "a short_answer question takes text, not options")
        if data.text is None:
            raise InvalidField("text", "a short_answer question needs a text answer")
        accepted = {normalize_answer(o.text) for o in options}
        return [], data.text, normalize_answer(data.text) in accepted
    if data.text is not None:
        raise InvalidField("text", "only short_answer questions take a text answer")
    chosen = data.option_ids or []
    if not chosen:
        raise InvalidField("option_ids", "choose at least one option")
    if len(set(chosen)) != len(chosen):
        raise InvalidField("option_ids", "an option is chosen twice")
    if not set(chosen) <= {o.id for o in options}:
        raise InvalidField("option_ids", "not an option of this question")
    single = (QuestionType.single_choice, QuestionType.true_false)
    if question.type in single and len(chosen) != 1:
        raise InvalidField("option_ids", f"a {question.type.value} question takes one option")
    return chosen, None, set(chosen) == {o.id for o in options if o.is_correct}


def old_answer(db: Any, principal: Any, exam_id: Any, data: Any) -> Any:
    """``lectern.assessment.exams.answer`` before issue 19 (XP already once per question)."""
    from sqlalchemy import insert, select
    from sqlalchemy.exc import IntegrityError

    from lectern.assessment import access, exam_views
    from lectern.assessment import exams as service
    from lectern.assessment.models import (
        ExamAnswer,
        ExamMode,
        ExamQuestion,
        Question,
        QuestionOption,
    )
    from lectern.assessment.schemas import ExamAnswerOut
    from lectern.core.ids import uuid7
    from lectern.errors import Conflict, InvalidField
    from lectern.progress import leaderboards

    exam = access.exam_for_taker(db, principal, exam_id, lock=True)
    now = service._now()
    try:
        service._require_active(exam, now)
    except service.TimeIsUp:
        service._complete(db, exam, now)
        db.commit()
        raise
    question = db.scalar(
        select(Question)
        .join(ExamQuestion, ExamQuestion.question_id == Question.id)
        .where(ExamQuestion.exam_id == exam.id, ExamQuestion.question_id == data.question_id)
    )
    if question is None:
        raise InvalidField("question_id", "not a question of this exam")
    options = list(
        db.scalars(
            select(QuestionOption)
            .where(QuestionOption.question_id == question.id)
            .order_by(QuestionOption.position)
        )
    )
    option_ids, text, correct = _old_grade(question, options, data)
    answer_id = uuid7()
    try:
        db.execute(
            insert(ExamAnswer).values(
                id=answer_id,
                exam_id=exam.id,
                question_id=question.id,
                option_ids=option_ids,
                text=text,
                is_correct=correct,
                answered_at=now,
            )
        )
    except IntegrityError as exc:
        db.rollback()
        raise Conflict(service.ALREADY_ANSWERED) from exc
    award = None
    if correct:
        award = _old_award_xp(
            db,
            principal.user_id,
            source_id=question.id,
            amount=service.XP_FOR_CORRECT[question.difficulty],
            now=now,
        )
    _old_count_answer(db, principal.user_id, question, correct)
    db.commit()
    if award is not None:
        leaderboards.publish([award])
    if exam.mode is ExamMode.exam:
        return ExamAnswerOut(question_id=question.id)
    return ExamAnswerOut(
        question_id=question.id,
        correct=correct,
        **exam_views.solution(question.type, question.explanation, options),
    )


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

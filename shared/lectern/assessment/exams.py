"""Exams: drawn from the bank, answered once per question, paused, resumed and submitted.

Every change to an exam locks its row first (``SELECT ... FOR UPDATE``), so an answer
and a submit, or two pauses, cannot interleave. One answer per question is the unique
constraint's to decide: the answer is inserted straight away and a duplicate becomes a
409. The learner's and the question's counters move in the answer's own transaction,
as atomic upserts, so they always equal what ``exam_answers`` holds.

Time limits are the server's: a request that finds the deadline passed submits the
exam as it stands, and an answer that comes too late is refused.

This module holds the state transitions; what the learner sees of an exam is assembled
in ``lectern.assessment.exam_views``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lectern.analytics.events import NewEvent
from lectern.analytics.models import EventType
from lectern.analytics.store.factory import get_store
from lectern.assessment import access, exam_views
from lectern.assessment.models import (
    Difficulty,
    Exam,
    ExamAnswer,
    ExamMode,
    ExamQuestion,
    ExamStatus,
    LearnerStats,
    LearnerTopicStats,
    Question,
    QuestionOption,
    QuestionStats,
    QuestionType,
    Quiz,
)
from lectern.assessment.schemas import (
    ExamAnswerIn,
    ExamAnswerOut,
    ExamIn,
    ExamOut,
    ExamScoreOut,
    ExamStateOut,
    ExamSummaryOut,
    normalize_answer,
)
from lectern.assessment.selection import record_exposures, select_question_ids
from lectern.core.ids import uuid7
from lectern.core.pagination import Page, keyset_rows
from lectern.core.principal import Principal
from lectern.errors import Conflict, InvalidField
from lectern.progress import leaderboards
from lectern.progress.models import Enrollment
from lectern.progress.xp import Award, Reason, award_xp

XP_FOR_CORRECT = {Difficulty.easy: 2, Difficulty.medium: 4, Difficulty.hard: 6}

NO_QUESTIONS = "No questions match these criteria."
NOT_ACTIVE = "The exam is not active."
TIME_IS_UP = "Time is up: the exam has been submitted."
ALREADY_ANSWERED = "This question has already been answered."

_SINGLE_OPTION_TYPES = (QuestionType.single_choice, QuestionType.true_false)


def _now() -> datetime:
    return datetime.now(UTC)


def _overdue(exam: Exam, now: datetime) -> bool:
    return (
        exam.status is ExamStatus.active
        and exam.deadline_at is not None
        and exam.deadline_at <= now
    )


def _complete(db: Session, exam: Exam, now: datetime) -> tuple[int, float]:
    """Score the exam from its answers: correct / size, unanswered questions count wrong.

    Every way an exam ends (submit, or a deadline found passed) comes through here, so
    this is where ``exam_completed`` is recorded, in the same transaction.
    """
    correct = (
        db.scalar(select(func.count()).where(ExamAnswer.exam_id == exam.id, ExamAnswer.is_correct))
        or 0
    )
    score = correct / exam.size
    exam.status = ExamStatus.completed
    exam.submitted_at = now
    exam.correct_count = correct
    exam.score = score
    exam.deadline_at = None
    exam.remaining_seconds = None
    db.flush()
    get_store().record(
        db,
        [
            NewEvent(
                type=EventType.exam_completed,
                occurred_at=now,
                user_id=exam.user_id,
                context={
                    "exam_id": str(exam.id),
                    "score": score,
                    "correct": correct,
                    "total": exam.size,
                },
            )
        ],
    )
    return correct, score


class TimeIsUp(Conflict):
    """The exam's deadline has passed: the caller ends the exam before answering 409."""

    def __init__(self) -> None:
        super().__init__(TIME_IS_UP)


def _require_active(exam: Exam, now: datetime) -> None:
    """409 unless the exam is active, ``TimeIsUp`` once its time has run out. It only
    looks: submitting an overdue exam, and committing that, is the caller's to do."""
    if _overdue(exam, now):
        raise TimeIsUp()
    if exam.status is not ExamStatus.active:
        raise Conflict(NOT_ACTIVE)


def create_exam(
    db: Session, principal: Principal, data: ExamIn, *, rng: random.Random | None = None
) -> ExamOut:
    """Draw the questions, store the exam and note what the learner has now seen.

    Fewer matching questions than ``size``: the exam holds what there is. None: 409.
    """
    criteria = data.criteria()
    ids = select_question_ids(
        db, principal.user_id, criteria, data.size, adaptive=data.adaptive, rng=rng
    )
    limit = data.time_limit_minutes * 60 if data.time_limit_minutes else None
    return start_exam(
        db,
        principal,
        ids,
        mode=data.mode,
        time_limit_seconds=limit,
        adaptive=data.adaptive,
        criteria=criteria.stored(),
    )


def start_exam(
    db: Session,
    principal: Principal,
    ids: Sequence[uuid.UUID],
    *,
    mode: ExamMode,
    time_limit_seconds: int | None,
    adaptive: bool = False,
    criteria: dict[str, str] | None = None,
    quiz_id: uuid.UUID | None = None,
) -> ExamOut:
    """Store an exam of these questions (in this order), note the exposures, record
    ``exam_started`` and commit: every way an exam begins, a bank draw or a quiz attempt."""
    if not ids:
        raise Conflict(NO_QUESTIONS)
    now = _now()
    limit = time_limit_seconds
    exam = Exam(
        id=uuid7(),
        user_id=principal.user_id,
        mode=mode,
        status=ExamStatus.active,
        adaptive=adaptive,
        criteria=criteria or {},
        size=len(ids),
        time_limit_seconds=limit,
        deadline_at=now + timedelta(seconds=limit) if limit else None,
        created_at=now,
        quiz_id=quiz_id,
    )
    db.add(exam)
    db.flush()
    db.execute(
        insert(ExamQuestion).values(
            [
                {"exam_id": exam.id, "question_id": qid, "position": position}
                for position, qid in enumerate(ids)
            ]
        )
    )
    record_exposures(db, principal.user_id, ids, now)
    context: dict[str, object] = {
        "exam_id": str(exam.id),
        "mode": exam.mode.value,
        "size": exam.size,
    }
    if quiz_id is not None:
        context["quiz_id"] = str(quiz_id)
        _touch_course_activity(db, exam, now)
    get_store().record(
        db,
        [
            NewEvent(
                type=EventType.exam_started,
                occurred_at=now,
                user_id=principal.user_id,
                context=context,
            )
        ],
    )
    out = exam_views.exam_out(db, exam, now)
    db.commit()
    return out


def _touch_course_activity(db: Session, exam: Exam, now: datetime) -> None:
    """A quiz attempt is activity in the quiz's course: its enrollment's last activity
    moves forward (never back), in this transaction, one statement."""
    course_id = select(Quiz.course_id).where(Quiz.id == exam.quiz_id).scalar_subquery()
    db.execute(
        update(Enrollment)
        .where(
            Enrollment.user_id == exam.user_id,
            Enrollment.course_id == course_id,
            or_(Enrollment.last_activity_at.is_(None), Enrollment.last_activity_at < now),
        )
        .values(last_activity_at=now)
    )


def get_exam(db: Session, principal: Principal, exam_id: uuid.UUID) -> ExamOut:
    now = _now()
    exam = access.exam_for_taker(db, principal, exam_id)
    if _overdue(exam, now):
        # Its time ran out unseen: submit it now, under the lock, then show the result.
        exam = access.exam_for_taker(db, principal, exam_id, lock=True)
        if _overdue(exam, now):
            _complete(db, exam, now)
            db.commit()
    return exam_views.exam_out(db, exam, now)


def _grade(
    question: Question, options: Sequence[QuestionOption], data: ExamAnswerIn
) -> tuple[list[uuid.UUID], str | None, bool]:
    """(option ids, text, correct) for an answer that fits the question, else 422."""
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
    if question.type in _SINGLE_OPTION_TYPES and len(chosen) != 1:
        raise InvalidField("option_ids", f"a {question.type.value} question takes one option")
    return chosen, None, set(chosen) == {o.id for o in options if o.is_correct}


def _count_answer(db: Session, user_id: uuid.UUID, question: Question, correct: bool) -> None:
    """Add the answer to the learner's, the learner's topic's and the question's counters:
    three atomic upserts in one statement (data-modifying CTEs), one round trip."""
    c = int(correct)
    learner = pg_insert(LearnerStats).values(user_id=user_id, answered=1, correct=c)
    learner = learner.on_conflict_do_update(
        index_elements=[LearnerStats.user_id],
        set_={"answered": LearnerStats.answered + 1, "correct": LearnerStats.correct + c},
    )
    topic = pg_insert(LearnerTopicStats).values(
        user_id=user_id, topic=question.topic, answered=1, correct=c
    )
    topic = topic.on_conflict_do_update(
        index_elements=[LearnerTopicStats.user_id, LearnerTopicStats.topic],
        set_={
            "answered": LearnerTopicStats.answered + 1,
            "correct": LearnerTopicStats.correct + c,
        },
    )
    # The question's row is shared by every learner: updated last, it is locked the
    # shortest time, and every transaction takes its locks in the same order.
    per_question = pg_insert(QuestionStats).values(question_id=question.id, answered=1, correct=c)
    per_question = per_question.on_conflict_do_update(
        index_elements=[QuestionStats.question_id],
        set_={"answered": QuestionStats.answered + 1, "correct": QuestionStats.correct + c},
    )
    db.execute(per_question.add_cte(learner.cte("learner"), topic.cte("topic")))


def answer(
    db: Session, principal: Principal, exam_id: uuid.UUID, data: ExamAnswerIn
) -> ExamAnswerOut:
    exam = access.exam_for_taker(db, principal, exam_id, lock=True)
    now = _now()
    try:
        _require_active(exam, now)
    except TimeIsUp:
        _complete(db, exam, now)
        db.commit()  # submitted as it stands: that outlives the 409
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
    option_ids, text, correct = _grade(question, options, data)
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
        raise Conflict(ALREADY_ANSWERED) from exc
    award: Award | None = None
    if correct:
        award = award_xp(
            db,
            principal.user_id,
            reason=Reason.correct_answer,
            source_id=answer_id,
            amount=XP_FOR_CORRECT[question.difficulty],
            now=now,
        )
    _count_answer(db, principal.user_id, question, correct)
    if exam.quiz_id is not None:
        _touch_course_activity(db, exam, now)
    db.commit()
    if award is not None:
        leaderboards.publish([award])
    if exam.mode is ExamMode.exam:
        return ExamAnswerOut(question_id=question.id)
    return ExamAnswerOut(
        question_id=question.id, correct=correct, **exam_views.solution(question, options)
    )


def pause(db: Session, principal: Principal, exam_id: uuid.UUID) -> ExamStateOut:
    """Stop the clock: the time left is kept and the deadline cleared until resume."""
    exam = access.exam_for_taker(db, principal, exam_id, lock=True)
    now = _now()
    try:
        _require_active(exam, now)
    except TimeIsUp:
        _complete(db, exam, now)
        db.commit()  # submitted as it stands: that outlives the 409
        raise
    exam.remaining_seconds = exam_views.seconds_left(exam, now)
    exam.deadline_at = None
    exam.status = ExamStatus.paused
    db.commit()
    return exam_views.state_out(exam, now)


def resume(db: Session, principal: Principal, exam_id: uuid.UUID) -> ExamStateOut:
    exam = access.exam_for_taker(db, principal, exam_id, lock=True)
    if exam.status is not ExamStatus.paused:
        raise Conflict("Only a paused exam can be resumed.")
    now = _now()
    if exam.remaining_seconds is not None:
        exam.deadline_at = now + timedelta(seconds=exam.remaining_seconds)
    exam.remaining_seconds = None
    exam.status = ExamStatus.active
    db.commit()
    return exam_views.state_out(exam, now)


def submit(db: Session, principal: Principal, exam_id: uuid.UUID) -> ExamScoreOut:
    exam = access.exam_for_taker(db, principal, exam_id, lock=True)
    if exam.status is ExamStatus.completed:
        raise Conflict("The exam has already been submitted.")
    correct, score = _complete(db, exam, _now())
    db.commit()
    return ExamScoreOut(
        id=exam.id, status=exam.status, score=score, correct=correct, total=exam.size
    )


def list_exams(
    db: Session, principal: Principal, *, limit: int, cursor: str | None
) -> Page[ExamSummaryOut]:
    """The caller's exams, newest first; answer counts in one grouped query."""
    exams, next_cursor = keyset_rows(
        db,
        select(Exam).where(Exam.user_id == principal.user_id),
        Exam.created_at,
        Exam.id,
        limit=limit,
        cursor=cursor,
    )
    return Page[ExamSummaryOut](items=exam_views.summaries(db, exams), next_cursor=next_cursor)

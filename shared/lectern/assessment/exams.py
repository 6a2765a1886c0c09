"""Exams: drawn from the bank, answered once per question, paused, resumed and submitted.

Every change to an exam locks its row first (``SELECT ... FOR UPDATE``), so an answer
and a submit, or two pauses, cannot interleave. One answer per question is the unique
constraint's to decide: the answer is inserted straight away and a duplicate becomes a
409. The learner's and the question's counters move in the answer's own transaction,
as atomic upserts, so they always equal what ``exam_answers`` holds. A choice answer is
one database call (lock, read, grade, write) and the commit; a short answer is graded
here between the read and the write, two calls.
The question's counters, which every learner answering it shares, are spread over
shards (``stat_shard``) and summed on read.

Time limits are the server's: a request that finds the deadline passed submits the
exam as it stands, and an answer that comes too late is refused. In exam mode pauses are
limited (``assessment.max_pauses`` per exam), and so is the paused time that stops the
clock (``assessment.max_paused_minutes`` in all): past it the clock runs while paused.

XP for a question is paid once per learner, whatever the exam: the ledger's source is
the question, so drawing the same questions again answers and counts but pays nothing.

This module holds the state transitions; what the learner sees of an exam is assembled
in ``lectern.assessment.exam_views``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, NoReturn

from sqlalchemy import func, insert, or_, select, text, update
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
    QuestionType,
    Quiz,
    stat_shard,
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
from lectern.config import get_settings
from lectern.core import activity
from lectern.core.activity import CORRECT_ANSWER, Activity
from lectern.core.ids import uuid7
from lectern.core.pagination import Page, keyset_rows
from lectern.core.principal import Principal
from lectern.errors import Conflict, InvalidField, NotFound
from lectern.progress import leaderboards
from lectern.progress.models import Enrollment
from lectern.progress.xp import Award, award_from_row, xp_activity

XP_FOR_CORRECT = {Difficulty.easy: 2, Difficulty.medium: 4, Difficulty.hard: 6}

NO_QUESTIONS = "No questions match these criteria."
NOT_ACTIVE = "The exam is not active."
TIME_IS_UP = "Time is up: the exam has been submitted."
ALREADY_ANSWERED = "This question has already been answered."

_SINGLE_OPTION_TYPES = (QuestionType.single_choice, QuestionType.true_false)


def _now() -> datetime:
    return datetime.now(UTC)


def _overdue(exam: Exam, now: datetime) -> bool:
    """Its time is up: past the deadline, or paused past its allowance until none is left."""
    if exam.status is ExamStatus.active:
        return exam.deadline_at is not None and exam.deadline_at <= now
    if exam.status is ExamStatus.paused and exam.pause_seconds_left is not None:
        left = exam_views.seconds_left(exam, now)
        return left is not None and left <= 0
    return False


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
    exam.paused_at = None
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


class PauseLimitReached(Conflict):
    """An exam-mode exam has taken all its pauses; it stays active."""

    slug, title = "pause-limit-reached", "Pause limit reached"

    def __init__(self) -> None:
        super().__init__("This exam has used all its pauses.")


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
    settings = get_settings().assessment
    limited = mode is ExamMode.exam
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
        pauses_left=settings.max_pauses if limited else None,
        pause_seconds_left=settings.max_paused_minutes * 60.0 if limited else None,
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
        _touch_course_activity(db, exam.user_id, quiz_id, now)
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


def _touch_course_activity(
    db: Session, user_id: uuid.UUID, quiz_id: uuid.UUID, now: datetime
) -> None:
    """A quiz attempt is activity in the quiz's course: its enrollment's last activity
    moves forward (never back), in this transaction, one statement."""
    course_id = select(Quiz.course_id).where(Quiz.id == quiz_id).scalar_subquery()
    db.execute(
        update(Enrollment)
        .where(
            Enrollment.user_id == user_id,
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


class _Option(NamedTuple):
    id: uuid.UUID
    text: str
    is_correct: bool


def _grade_short(options: Sequence[_Option], data: ExamAnswerIn) -> tuple[str, bool]:
    """(text, correct) for a short answer, else 422. Choice answers are graded by the
    database in the answer's one call (``answer_exam_question``, the same rules)."""
    if data.option_ids:
        raise InvalidField("option_ids", "a short_answer question takes text, not options")
    if data.text is None:
        raise InvalidField("text", "a short_answer question needs a text answer")
    accepted = {normalize_answer(o.text) for o in options}
    return data.text, normalize_answer(data.text) in accepted


# What each refusal of a choice answer by ``answer_exam_question`` means.
_REFUSED = {
    "text_not_taken": ("text", "only short_answer questions take a text answer"),
    "no_option": ("option_ids", "choose at least one option"),
    "option_twice": ("option_ids", "an option is chosen twice"),
    "not_an_option": ("option_ids", "not an option of this question"),
    "one_option": ("option_ids", "a {qtype} question takes one option"),
}

# An answer in one call (the functions are in migration 0007): the exam locked (so an
# answer and a submit or a pause cannot interleave), the question found in it, a choice
# answer graded and recorded with the learner's and their topic's counters, the XP for a
# right one and the learner's shard of the question's counters. A short answer comes
# back with its options to be graded here, then recorded by the second function.
_ANSWER = text(
    "SELECT * FROM answer_exam_question(:exam_id, :user_id, :question_id,"
    " CAST(:option_ids AS uuid[]), CAST(:text AS text), CAST(:shard AS integer),"
    " CAST(:xp_easy AS integer), CAST(:xp_medium AS integer), CAST(:xp_hard AS integer),"
    " :answer_id, :award_id, :now)"
)
_RECORD_ANSWER = text(
    "SELECT * FROM record_exam_answer(:answer_id, :exam_id, :question_id, :user_id,"
    " CAST('{}' AS uuid[]), CAST(:text AS text), :correct, :topic,"
    " CAST(:shard AS integer), CAST(:xp AS integer), :award_id, :now)"
)


def _record_activity(  # noqa: PLR0917 - one private call site
    db: Session,
    user_id: uuid.UUID,
    answer_id: uuid.UUID,
    question_id: uuid.UUID,
    correct: bool,
    paid: Award | None,
    now: datetime,
) -> None:
    """A right answer (once per answer) and the XP it paid (once per question) are
    activity, told to whichever contexts listen (``lectern.core.activity``)."""
    done: list[Activity] = []
    if correct:
        done.append(Activity(CORRECT_ANSWER, user_id, answer_id, at=now, subject_id=question_id))
    if paid is not None:
        done.append(xp_activity(paid, question_id, at=now))
    activity.record(db, done)


def _refuse_inactive(
    db: Session, principal: Principal, exam_id: uuid.UUID, now: datetime
) -> NoReturn:
    """The 409 for an exam that is not active; one whose time ran out is submitted first."""
    exam = access.exam_for_taker(db, principal, exam_id, lock=True)
    try:
        _require_active(exam, now)
    except TimeIsUp:
        _complete(db, exam, now)
        db.commit()  # submitted as it stands: that outlives the 409
        raise
    raise Conflict(NOT_ACTIVE)  # the call saw it inactive under this very lock


def answer(
    db: Session, principal: Principal, exam_id: uuid.UUID, data: ExamAnswerIn
) -> ExamAnswerOut:
    """Grade and record one answer: one call and the commit (a short answer, graded
    here, takes a second call).

    Exact under concurrency: the exam's lock orders its answers and its submit, the unique
    (exam, question) leaves one answer per question, and the counters and the XP move by
    upserts in the answer's transaction.
    """
    now = _now()
    answer_id = uuid7()
    ids = {"answer_id": answer_id, "award_id": uuid7(), "exam_id": exam_id, "now": now}
    shard = stat_shard(principal.user_id)
    row = db.execute(
        _ANSWER,
        {
            **ids,
            "user_id": principal.user_id,
            "question_id": data.question_id,
            "option_ids": data.option_ids,
            "text": data.text,
            "shard": shard,
            **{f"xp_{d.value}": xp for d, xp in XP_FOR_CORRECT.items()},
        },
    ).one()
    if row.verdict == "not_found":
        raise NotFound(access.EXAM_NOT_FOUND)
    if row.verdict == "not_active":
        _refuse_inactive(db, principal, exam_id, now)
    if row.verdict == "not_in_exam":
        raise InvalidField("question_id", "not a question of this exam")
    qtype = QuestionType(row.qtype)
    if row.verdict in _REFUSED:
        field, message = _REFUSED[row.verdict]
        raise InvalidField(field, message.format(qtype=qtype.value))
    options = [
        _Option(*o)
        for o in zip(
            row.option_ids or (), row.option_texts or (), row.option_correct or (), strict=True
        )
    ]
    xp = XP_FOR_CORRECT[Difficulty(row.difficulty)]
    correct = row.correct
    if row.verdict == "short_answer":
        answer_text, correct = _grade_short(options, data)
        written = db.execute(
            _RECORD_ANSWER,
            {
                **ids,
                "question_id": data.question_id,
                "user_id": principal.user_id,
                "text": answer_text,
                "correct": correct,
                "topic": row.topic,
                "shard": shard,
                "xp": xp,
            },
        ).one()
        recorded, award = written.recorded, written
    else:
        recorded, award = row.verdict == "recorded", row
    if not recorded:
        raise Conflict(ALREADY_ANSWERED)
    if row.quiz_id is not None:  # a quiz attempt: activity in the quiz's course
        _touch_course_activity(db, principal.user_id, row.quiz_id, now)
    paid = None if award.xp is None else award_from_row(principal.user_id, xp, award)
    _record_activity(db, principal.user_id, answer_id, data.question_id, correct, paid, now)
    db.commit()
    if paid is not None:  # paid now: the first right answer to this question
        leaderboards.publish([paid])
    if row.mode == ExamMode.exam.value:
        return ExamAnswerOut(question_id=data.question_id)
    return ExamAnswerOut(
        question_id=data.question_id,
        correct=correct,
        **exam_views.solution(qtype, row.explanation, options),
    )


def pause(db: Session, principal: Principal, exam_id: uuid.UUID) -> ExamStateOut:
    """Stop the clock: the time left is kept and the deadline cleared until resume.

    In exam mode a pause uses one of the exam's pauses (none left: 409
    ``pause-limit-reached``, and the exam goes on unchanged)."""
    exam = access.exam_for_taker(db, principal, exam_id, lock=True)
    now = _now()
    try:
        _require_active(exam, now)
    except TimeIsUp:
        _complete(db, exam, now)
        db.commit()  # submitted as it stands: that outlives the 409
        raise
    if exam.pauses_left is not None:
        if exam.pauses_left <= 0:
            raise PauseLimitReached()
        exam.pauses_left -= 1
    exam.remaining_seconds = exam_views.seconds_left(exam, now)
    exam.deadline_at = None
    exam.paused_at = now
    exam.status = ExamStatus.paused
    db.commit()
    return exam_views.state_out(exam, now)


def resume(db: Session, principal: Principal, exam_id: uuid.UUID) -> ExamStateOut:
    """Restart the clock with the time left; paused time past the allowance was spent."""
    exam = access.exam_for_taker(db, principal, exam_id, lock=True)
    if exam.status is not ExamStatus.paused:
        raise Conflict("Only a paused exam can be resumed.")
    now = _now()
    if _overdue(exam, now):
        _complete(db, exam, now)
        db.commit()  # submitted as it stands: that outlives the 409
        raise TimeIsUp()
    remaining = exam_views.seconds_left(exam, now)
    if remaining is not None:
        exam.deadline_at = now + timedelta(seconds=remaining)
    if exam.pause_seconds_left is not None and exam.paused_at is not None:
        paused_for = (now - exam.paused_at).total_seconds()
        exam.pause_seconds_left = max(0.0, exam.pause_seconds_left - paused_for)
    exam.remaining_seconds = None
    exam.paused_at = None
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

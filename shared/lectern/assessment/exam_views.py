"""What a learner sees of their exams: the full exam, its clock, a listing's summaries.

Reads only; the state transitions that change an exam are in ``lectern.assessment.exams``.
Correctness, explanations and accepted answers appear only when the exam's rules reveal
them: at once in practice mode, for everything once the exam is completed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lectern.assessment.models import (
    Exam,
    ExamAnswer,
    ExamMode,
    ExamQuestion,
    ExamStatus,
    Question,
    QuestionOption,
    QuestionType,
)
from lectern.assessment.schemas import (
    ExamCriteria,
    ExamOptionOut,
    ExamOut,
    ExamQuestionOut,
    ExamStateOut,
    ExamSummaryOut,
    GivenAnswerOut,
)


def paused_overrun(exam: Exam, now: datetime) -> float:
    """Seconds a paused exam has been paused past its allowance: its clock runs again."""
    if exam.paused_at is None or exam.pause_seconds_left is None:
        return 0.0
    return max(0.0, (now - exam.paused_at).total_seconds() - exam.pause_seconds_left)


def seconds_left(exam: Exam, now: datetime) -> float | None:
    if exam.status is ExamStatus.paused:
        if exam.remaining_seconds is None:
            return None
        return max(0.0, exam.remaining_seconds - paused_overrun(exam, now))
    if exam.status is ExamStatus.active and exam.deadline_at is not None:
        return max(0.0, (exam.deadline_at - now).total_seconds())
    return None


class _OptionLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def text(self) -> str: ...
    @property
    def is_correct(self) -> bool: ...


def solution(
    qtype: QuestionType, explanation: str | None, options: Sequence[_OptionLike]
) -> dict[str, Any]:
    """What reveals the answer: the explanation, and the right options or accepted texts."""
    if qtype is QuestionType.short_answer:
        return {"explanation": explanation, "accepted_answers": [o.text for o in options]}
    return {
        "explanation": explanation,
        "correct_option_ids": [o.id for o in options if o.is_correct],
    }


def exam_out(db: Session, exam: Exam, now: datetime) -> ExamOut:
    """The exam as its learner may see it now: three queries, whatever its size."""
    rows = db.execute(
        select(ExamQuestion.position, Question)
        .join(Question, Question.id == ExamQuestion.question_id)
        .where(ExamQuestion.exam_id == exam.id)
        .order_by(ExamQuestion.position)
    ).all()
    options: dict[uuid.UUID, list[QuestionOption]] = defaultdict(list)
    for option in db.scalars(
        select(QuestionOption)
        .where(QuestionOption.question_id.in_([row.Question.id for row in rows]))
        .order_by(QuestionOption.question_id, QuestionOption.position)
    ):
        options[option.question_id].append(option)
    answers = {
        a.question_id: a
        for a in db.scalars(select(ExamAnswer).where(ExamAnswer.exam_id == exam.id))
    }
    completed = exam.status is ExamStatus.completed
    practice = exam.mode is ExamMode.practice
    questions: list[ExamQuestionOut] = []
    for row in rows:
        q: Question = row.Question
        given = answers.get(q.id)
        reveal = completed or (practice and given is not None)
        questions.append(
            ExamQuestionOut(
                id=q.id,
                position=row.position,
                prompt=q.prompt,
                type=q.type,
                topic=q.topic,
                difficulty=q.difficulty,
                # A short answer's options are its accepted answers: never shown as options.
                options=[]
                if q.type is QuestionType.short_answer
                else [ExamOptionOut(id=o.id, text=o.text) for o in options[q.id]],
                answer=None
                if given is None
                else GivenAnswerOut(
                    option_ids=given.option_ids,
                    text=given.text,
                    answered_at=given.answered_at,
                    correct=given.is_correct if reveal else None,
                ),
                **(solution(q.type, q.explanation, options[q.id]) if reveal else {}),
            )
        )
    if completed:
        correct: int | None = exam.correct_count
    elif practice:
        correct = sum(1 for a in answers.values() if a.is_correct)
    else:
        correct = None
    return ExamOut(
        id=exam.id,
        status=exam.status,
        mode=exam.mode,
        adaptive=exam.adaptive,
        size=exam.size,
        criteria=ExamCriteria.model_validate(exam.criteria),
        time_limit_minutes=exam.time_limit_seconds // 60 if exam.time_limit_seconds else None,
        deadline_at=exam.deadline_at,
        remaining_seconds=seconds_left(exam, now),
        pauses_left=exam.pauses_left,
        created_at=exam.created_at,
        submitted_at=exam.submitted_at,
        answered=len(answers),
        correct=correct,
        score=exam.score,
        questions=questions,
    )


def state_out(exam: Exam, now: datetime) -> ExamStateOut:
    return ExamStateOut(
        id=exam.id,
        status=exam.status,
        deadline_at=exam.deadline_at,
        remaining_seconds=seconds_left(exam, now),
        pauses_left=exam.pauses_left,
    )


def summaries(db: Session, exams: Sequence[Exam]) -> list[ExamSummaryOut]:
    """A listing's exams with their answer counts, from one grouped query."""
    answered: dict[uuid.UUID, int] = {}
    if exams:
        answered = {
            row.exam_id: row.n
            for row in db.execute(
                select(ExamAnswer.exam_id, func.count().label("n"))
                .where(ExamAnswer.exam_id.in_([e.id for e in exams]))
                .group_by(ExamAnswer.exam_id)
            )
        }
    return [
        ExamSummaryOut(
            id=e.id,
            status=e.status,
            mode=e.mode,
            adaptive=e.adaptive,
            size=e.size,
            criteria=ExamCriteria.model_validate(e.criteria),
            answered=answered.get(e.id, 0),
            score=e.score,
            deadline_at=e.deadline_at,
            created_at=e.created_at,
            submitted_at=e.submitted_at,
        )
        for e in exams
    ]

"""Course quizzes: made by the course's owner (or an admin) from their own questions, a
fixed list or a draw rule; attempted by the course's enrolled learners. An attempt is an
exam (``exams.start_exam`` with ``quiz_id``), answered, paused and submitted by the exam
routes, so XP, counters and performance are the exams' own.

Who may do what: making a quiz takes the right to change the course; listing takes
being enrolled, owning it or being an admin; attempting takes being enrolled.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lectern.assessment import access as question_access
from lectern.assessment.exams import start_exam
from lectern.assessment.models import ExamMode, Question, Quiz, QuizQuestion
from lectern.assessment.schemas import (
    ExamCriteria,
    ExamOut,
    QuizDrawOut,
    QuizIn,
    QuizListOut,
    QuizOut,
)
from lectern.assessment.selection import select_question_ids
from lectern.catalog import access
from lectern.catalog.models import Lesson
from lectern.core.ids import uuid7
from lectern.core.principal import Principal
from lectern.errors import Forbidden, InvalidField, NotFound

QUIZ_NOT_FOUND = "No such quiz."
ENROLL_FOR_QUIZZES = "Enroll in the course to take its quizzes."


def _out(quiz: Quiz, question_count: int) -> QuizOut:
    draw = None
    if quiz.draw_size is not None:
        draw = QuizDrawOut(
            size=quiz.draw_size, topic=quiz.draw_topic, difficulty=quiz.draw_difficulty
        )
    return QuizOut(
        id=quiz.id,
        course_id=quiz.course_id,
        lesson_id=quiz.lesson_id,
        title=quiz.title,
        mode=quiz.mode,
        time_limit_minutes=quiz.time_limit_seconds // 60 if quiz.time_limit_seconds else None,
        question_count=quiz.draw_size if quiz.draw_size is not None else question_count,
        draw=draw,
        created_at=quiz.created_at,
    )


def create_quiz(db: Session, principal: Principal, course_id: uuid.UUID, data: QuizIn) -> QuizOut:
    course = access.course_for_edit(db, principal, course_id)
    if (data.question_ids is None) == (data.draw is None):
        field = "draw" if data.draw is not None else "question_ids"
        raise InvalidField(field, "give exactly one of question_ids and draw")
    if data.lesson_id is not None:
        lesson_course = db.scalar(select(Lesson.course_id).where(Lesson.id == data.lesson_id))
        if lesson_course != course.id:
            raise InvalidField("lesson_id", "not a lesson of this course")
    if data.question_ids is not None:
        # The author's own questions only (an admin's reach is every question).
        found = set(
            db.scalars(
                select(Question.id).where(
                    Question.id.in_(data.question_ids),
                    question_access.questions_visible_to(principal),
                )
            )
        )
        if found != set(data.question_ids):
            raise InvalidField("question_ids", "each must be one of your own questions")
    quiz = Quiz(
        id=uuid7(),
        course_id=course.id,
        lesson_id=data.lesson_id,
        author_id=principal.user_id,
        title=data.title,
        mode=data.mode,
        time_limit_seconds=data.time_limit_minutes * 60 if data.time_limit_minutes else None,
        draw_size=data.draw.size if data.draw else None,
        draw_topic=data.draw.topic if data.draw else None,
        draw_difficulty=data.draw.difficulty if data.draw else None,
    )
    db.add(quiz)
    db.flush()
    if data.question_ids:
        db.execute(
            insert(QuizQuestion).values(
                [
                    {"quiz_id": quiz.id, "question_id": qid, "position": n}
                    for n, qid in enumerate(data.question_ids)
                ]
            )
        )
    db.commit()
    return _out(quiz, len(data.question_ids or ()))


def _may_list(db: Session, principal: Principal, course_id: uuid.UUID) -> None:
    course = access.course_for_view(db, principal, course_id)
    if access.is_owner_or_admin(course, principal):
        return
    if not access.is_enrolled(db, principal.user_id, course.id):
        raise Forbidden(ENROLL_FOR_QUIZZES)


def list_quizzes(db: Session, principal: Principal, course_id: uuid.UUID) -> QuizListOut:
    """The course's quizzes, oldest first, with their question counts in the same query."""
    _may_list(db, principal, course_id)
    counts = (
        select(func.count())
        .select_from(QuizQuestion)
        .where(QuizQuestion.quiz_id == Quiz.id)
        .correlate(Quiz)
        .scalar_subquery()
    )
    rows = db.execute(
        select(Quiz, counts).where(Quiz.course_id == course_id).order_by(Quiz.created_at, Quiz.id)
    ).all()
    return QuizListOut(items=[_out(quiz, n) for quiz, n in rows])


def start_attempt(db: Session, principal: Principal, quiz_id: uuid.UUID) -> ExamOut:
    """An exam of the quiz's questions (its list in order, or a draw from its author's
    questions) with its mode and time limit; for the course's enrolled learners."""
    quiz = db.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound(QUIZ_NOT_FOUND)
    try:
        course = access.course_for_view(db, principal, quiz.course_id)
    except NotFound as exc:
        raise NotFound(QUIZ_NOT_FOUND) from exc
    if not access.is_enrolled(db, principal.user_id, course.id):
        raise Forbidden(ENROLL_FOR_QUIZZES)
    if quiz.draw_size is not None:
        criteria = ExamCriteria(topic=quiz.draw_topic, difficulty=quiz.draw_difficulty)
        ids = select_question_ids(
            db, principal.user_id, criteria, quiz.draw_size, author_id=quiz.author_id
        )
        stored = criteria.stored()
    else:
        ids = list(
            db.scalars(
                select(QuizQuestion.question_id)
                .where(QuizQuestion.quiz_id == quiz.id)
                .order_by(QuizQuestion.position)
            )
        )
        stored = {}
    return start_exam(
        db,
        principal,
        ids,
        mode=ExamMode(quiz.mode),
        time_limit_seconds=quiz.time_limit_seconds,
        criteria=stored,
        quiz_id=quiz.id,
    )

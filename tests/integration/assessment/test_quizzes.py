"""Course quizzes: made from the author's own questions, attempted as exams by enrolled
learners, their scores in the roster."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tests.factories import make_account, make_course
from tests.integration.assessment.helpers import make_bank, unique


@pytest.fixture
def db(rolled_back_db):
    return rolled_back_db


def _quiz_in(**fields):
    from lectern.assessment.schemas import QuizIn

    return QuizIn.model_validate({"title": "Check", "mode": "exam", **fields})


def _setup(db, n: int = 4):
    from lectern.progress import service as progress

    owner, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, owner, lessons=2)
    topic = unique("quiz")
    ids = make_bank(db, owner, n, topic=topic)
    progress.enroll(db, learner.principal, course.id)
    return owner, learner, course, lessons, topic, ids


def test_a_fixed_quiz_is_an_exam_of_its_questions_in_order_and_feeds_the_roster(db):
    from lectern.assessment import exams, quizzes
    from lectern.assessment.schemas import ExamAnswerIn
    from lectern.progress import roster

    owner, learner, course, lessons, _topic, ids = _setup(db)
    quiz = quizzes.create_quiz(
        db,
        owner.principal,
        course.id,
        _quiz_in(question_ids=[str(i) for i in ids[:3]], lesson_id=str(lessons[1].id)),
    )
    assert (quiz.question_count, quiz.lesson_id, quiz.draw) == (3, lessons[1].id, None)
    listed = quizzes.list_quizzes(db, learner.principal, course.id).items
    assert [q.id for q in listed] == [quiz.id]

    exam = quizzes.start_attempt(db, learner.principal, quiz.id)
    assert [q.id for q in exam.questions] == ids[:3]
    assert exam.mode.value == "exam" and exam.status.value == "active"
    first = exam.questions[0]
    exams.answer(
        db,
        learner.principal,
        exam.id,
        ExamAnswerIn(question_id=first.id, option_ids=[first.options[0].id]),
    )
    score = exams.submit(db, learner.principal, exam.id)

    page = roster.roster(db, owner.principal, course.id, limit=10, cursor=None)
    row = next(i for i in page.items if i.user.id == learner.id)
    assert row.quiz_attempts == 1 and row.quiz_average == pytest.approx(score.score)
    assert row.last_activity_at is not None
    detail = roster.learner_detail(db, owner.principal, course.id, learner.id)
    assert [(a.quiz_id, a.score) for a in detail.quiz_attempts] == [(quiz.id, score.score)]


def test_a_draw_quiz_takes_only_the_authors_questions(db):
    from lectern.assessment import quizzes

    owner, learner, course, _lessons, topic, ids = _setup(db, n=6)
    stranger = make_account(db, "instructor")
    theirs = make_bank(db, stranger, 20, topic=topic)
    quiz = quizzes.create_quiz(
        db, owner.principal, course.id, _quiz_in(draw={"size": 4, "topic": topic}, mode="practice")
    )
    assert quiz.draw is not None and quiz.question_count == 4
    for _ in range(3):
        exam = quizzes.start_attempt(db, learner.principal, quiz.id)
        drawn = {q.id for q in exam.questions}
        assert len(drawn) == 4 and drawn <= set(ids) and not drawn & set(theirs)


def test_a_time_limit_and_mode_carry_over_to_the_attempt(db):
    from lectern.assessment import quizzes

    owner, learner, course, _lessons, _topic, ids = _setup(db)
    quiz = quizzes.create_quiz(
        db,
        owner.principal,
        course.id,
        _quiz_in(question_ids=[str(ids[0])], time_limit_minutes=5, mode="practice"),
    )
    exam = quizzes.start_attempt(db, learner.principal, quiz.id)
    assert exam.mode.value == "practice"
    assert exam.time_limit_minutes == 5 and exam.deadline_at is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "question_ids"),
        ({"question_ids": ["{q}"], "draw": {"size": 1}}, "draw"),
        ({"question_ids": ["{foreign}"]}, "question_ids"),
        ({"question_ids": ["{unknown}"]}, "question_ids"),
        ({"question_ids": ["{q}"], "lesson_id": "{other_lesson}"}, "lesson_id"),
    ],
)
def test_bad_quizzes_name_the_field_and_write_nothing(db, fields, field):
    from lectern.assessment import quizzes
    from lectern.assessment.models import Quiz
    from lectern.errors import InvalidField

    owner, _learner, course, _lessons, topic, ids = _setup(db)
    stranger = make_account(db, "instructor")
    foreign = make_bank(db, stranger, 1, topic=topic)[0]
    _other, other_lessons = make_course(db, owner)
    values = {
        "q": ids[0],
        "foreign": foreign,
        "unknown": uuid.uuid4(),
        "other_lesson": other_lessons[0].id,
    }

    def fill(v):
        if isinstance(v, str):
            return v.format(**values)
        if isinstance(v, list):
            return [fill(x) for x in v]
        return v

    with pytest.raises(InvalidField) as refused:
        quizzes.create_quiz(
            db, owner.principal, course.id, _quiz_in(**{k: fill(v) for k, v in fields.items()})
        )
    assert refused.value.field == field
    assert db.scalar(select(func.count()).where(Quiz.course_id == course.id)) == 0


def test_who_may_list_and_attempt(db):
    from lectern.assessment import quizzes
    from lectern.errors import Forbidden, NotFound
    from lectern.progress import service as progress

    owner, learner, course, _lessons, _topic, ids = _setup(db)
    outsider = make_account(db)
    quiz = quizzes.create_quiz(db, owner.principal, course.id, _quiz_in(question_ids=[str(ids[0])]))
    with pytest.raises(Forbidden):
        quizzes.list_quizzes(db, outsider.principal, course.id)
    with pytest.raises(Forbidden):
        quizzes.start_attempt(db, outsider.principal, quiz.id)
    with pytest.raises(Forbidden):
        quizzes.start_attempt(db, owner.principal, quiz.id)  # the owner is not enrolled
    with pytest.raises(Forbidden):
        quizzes.create_quiz(db, learner.principal, course.id, _quiz_in(question_ids=[str(ids[0])]))
    with pytest.raises(NotFound):
        quizzes.start_attempt(db, learner.principal, uuid.uuid4())
    progress.unenroll(db, learner.principal, course.id)
    with pytest.raises(Forbidden):
        quizzes.start_attempt(db, learner.principal, quiz.id)

"""Answers under concurrency: counters and XP equal the truth recomputed from the rows.

Every call runs in its own session (its own connection), as concurrent Lambda
invocations would.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from lectern.db.engine import get_sessionmaker
from tests.factories import new_account
from tests.integration.assessment.helpers import make_bank, right_answer, unique, wrong_answer

LEARNERS = 20
QUESTIONS = 10


def _answer(learner, exam_id, body) -> str:
    from lectern.assessment.exams import answer
    from lectern.assessment.schemas import ExamAnswerIn
    from lectern.errors import Conflict

    with get_sessionmaker()() as db:
        try:
            answer(db, learner.principal, exam_id, ExamAnswerIn.model_validate(body))
        except Conflict:
            return "conflict"
    return "created"


def _create_exam(learner, size: int, **criteria):
    from lectern.assessment.exams import create_exam
    from lectern.assessment.schemas import ExamIn

    with get_sessionmaker()() as db:
        return create_exam(db, learner.principal, ExamIn(size=size, mode="practice", **criteria))


def _bank(n: int, **kw):
    author = new_account("instructor")
    with get_sessionmaker()() as db:
        return make_bank(db, author, n, **kw)


def _bodies(question_ids, correct: bool):
    with get_sessionmaker()() as db:
        pick = right_answer if correct else wrong_answer
        return {qid: pick(db, qid) for qid in question_ids}


def test_many_learners_answering_at_once_lose_no_count_and_no_xp(stack):
    from lectern.assessment.exams import XP_FOR_CORRECT
    from lectern.assessment.models import (
        Exam,
        ExamAnswer,
        LearnerStats,
        LearnerTopicStats,
        Question,
        QuestionStats,
    )
    from lectern.identity.models import Profile
    from lectern.progress.models import XpAward

    subject, topics = unique("subject"), [unique("topic-a"), unique("topic-b")]
    qids = _bank(QUESTIONS // 2, topic=topics[0], subject=subject)
    qids += _bank(QUESTIONS // 2, topic=topics[1], subject=subject)
    right, wrong = _bodies(qids, True), _bodies(qids, False)
    learners = [new_account() for _ in range(LEARNERS)]
    exams = {a.id: _create_exam(a, QUESTIONS, subject=subject).id for a in learners}
    rng = random.Random(7)
    tasks = [
        (a, exams[a.id], (right if rng.random() < 0.6 else wrong)[qid])
        for a in learners
        for qid in qids
    ]
    rng.shuffle(tasks)

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(lambda t: _answer(*t), tasks))
    assert outcomes == ["created"] * LEARNERS * QUESTIONS

    users = [a.id for a in learners]
    with get_sessionmaker()() as db:
        answers = db.execute(
            select(
                Exam.user_id,
                Question.id,
                Question.topic,
                Question.difficulty,
                ExamAnswer.is_correct,
            )
            .join(Exam, Exam.id == ExamAnswer.exam_id)
            .join(Question, Question.id == ExamAnswer.question_id)
            .where(Exam.user_id.in_(users))
        ).all()
        assert len(answers) == LEARNERS * QUESTIONS

        def truth(key):
            answered, correct = Counter(), Counter()
            for row in answers:
                answered[key(row)] += 1
                correct[key(row)] += row.is_correct
            return {k: (answered[k], correct[k]) for k in answered}

        learner_stats = {
            row.user_id: (row.answered, row.correct)
            for row in db.scalars(select(LearnerStats).where(LearnerStats.user_id.in_(users)))
        }
        assert learner_stats == truth(lambda r: r.user_id)
        topic_stats = {
            (row.user_id, row.topic): (row.answered, row.correct)
            for row in db.scalars(
                select(LearnerTopicStats).where(LearnerTopicStats.user_id.in_(users))
            )
        }
        assert topic_stats == truth(lambda r: (r.user_id, r.topic))
        question_stats = {
            row.question_id: (row.answered, row.correct)
            for row in db.scalars(select(QuestionStats).where(QuestionStats.question_id.in_(qids)))
        }
        assert question_stats == truth(lambda r: r.id)

        earned = Counter()
        for row in answers:
            if row.is_correct:
                earned[row.user_id] += XP_FOR_CORRECT[row.difficulty]
        ledger = {
            row.user_id: row.total
            for row in db.execute(
                select(XpAward.user_id, func.sum(XpAward.amount).label("total"))
                .where(XpAward.user_id.in_(users))
                .group_by(XpAward.user_id)
            )
        }
        profiles = {
            p.user_id: p.xp for p in db.scalars(select(Profile).where(Profile.user_id.in_(users)))
        }
        assert {u: profiles[u] for u in earned} == ledger == dict(earned)


def test_two_answers_to_one_question_at_once_leave_exactly_one(stack):
    from lectern.assessment.models import ExamAnswer, LearnerStats, QuestionStats

    topic = unique("race")
    qids = _bank(5, topic=topic)
    right, wrong = _bodies(qids, True), _bodies(qids, False)
    learner = new_account()
    exam_id = _create_exam(learner, 5, topic=topic).id

    for qid in qids:
        barrier = threading.Barrier(2)

        def race(body, barrier=barrier):
            barrier.wait()
            return _answer(learner, exam_id, body)

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = sorted(pool.map(race, [right[qid], wrong[qid]]))
        assert outcomes == ["conflict", "created"]

    with get_sessionmaker()() as db:
        rows = db.scalars(select(ExamAnswer).where(ExamAnswer.exam_id == exam_id)).all()
        assert sorted(r.question_id for r in rows) == sorted(qids)
        stats = db.get(LearnerStats, learner.id)
        assert (stats.answered, stats.correct) == (5, sum(r.is_correct for r in rows))
        for row in rows:
            per_question = db.get(QuestionStats, row.question_id)
            assert (per_question.answered, per_question.correct) == (1, int(row.is_correct))


def test_a_submit_racing_an_answer_scores_exactly_what_was_recorded(stack):
    from lectern.assessment.exams import submit
    from lectern.assessment.models import Exam, ExamAnswer

    topic = unique("submit-race")
    qids = _bank(2, topic=topic)
    right = _bodies(qids, True)
    for _ in range(5):
        learner = new_account()
        exam = _create_exam(learner, 2, topic=topic)
        barrier = threading.Barrier(2)

        def answer_it(exam_id=exam.id, learner=learner, barrier=barrier):
            barrier.wait()
            return _answer(learner, exam_id, right[qids[0]])

        def submit_it(exam_id=exam.id, learner=learner, barrier=barrier):
            barrier.wait()
            with get_sessionmaker()() as db:
                return submit(db, learner.principal, exam_id).correct

        with ThreadPoolExecutor(max_workers=2) as pool:
            answered, scored = pool.submit(answer_it), pool.submit(submit_it)
            outcome, correct = answered.result(), scored.result()
        with get_sessionmaker()() as db:
            rows = db.scalars(select(ExamAnswer).where(ExamAnswer.exam_id == exam.id)).all()
            stored = db.get(Exam, exam.id)
        # Either the answer came first and counts, or the exam was closed and it was refused.
        assert (outcome, correct, len(rows)) in {("created", 1, 1), ("conflict", 0, 0)}
        assert stored.correct_count == correct and stored.status == "completed"


def test_one_learner_drawing_exams_at_once_does_not_deadlock(stack):
    topic = unique("draws")
    _bank(40, topic=topic)
    learner = new_account()
    barrier = threading.Barrier(4)

    def draw(_):
        barrier.wait()
        return _create_exam(learner, 20, topic=topic).size

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(draw, range(4))) == [20] * 4

"""Challenge scores: advanced by the activity hook in the activity's transaction, exact
under concurrency, idempotent under retries, only inside the window and after joining,
scoped to the challenge's metric and course; completion notifies once; the board."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_account, make_course

LEARNERS = 20
LESSONS = 10


def _challenge(db, author, metric, *, target=1000, course_id=None, starts=None, ends=None):
    from lectern.challenges.schemas import ChallengeIn
    from lectern.challenges.service import create

    now = datetime.now(UTC)
    return create(
        db,
        author.principal,
        ChallengeIn(
            title=f"{metric} {uuid.uuid4().hex[:6]}",
            difficulty="medium",
            starts_at=starts or now - timedelta(minutes=5),
            ends_at=ends or now + timedelta(hours=1),
            metric=metric,
            course_id=course_id,
            target=target,
        ),
    )


def _entry(db, challenge_id, user_id):
    from lectern.challenges.models import ChallengeEntry

    db.expire_all()
    return db.get(ChallengeEntry, (challenge_id, user_id))


def test_200_concurrent_activities_across_20_learners_leave_every_score_exact(db):
    from lectern.challenges.service import join, leaderboard
    from lectern.db.engine import get_sessionmaker
    from lectern.progress.service import complete_lesson, enroll

    author = make_account(db, "instructor")
    course, lessons = make_course(db, author, lessons=LESSONS)
    xp_challenge = _challenge(db, author, "xp")
    lesson_challenge = _challenge(db, author, "lessons_completed", target=LESSONS)
    learners = [make_account(db, name=f"Racer {i}") for i in range(LEARNERS)]
    for learner in learners:
        enroll(db, learner.principal, course.id)
        join(db, learner.principal, xp_challenge.id)
        join(db, learner.principal, lesson_challenge.id)

    work = [(learner, lesson.id) for learner in learners for lesson in lessons]
    start = threading.Barrier(LEARNERS)

    def complete(item):
        learner, lesson_id = item
        with get_sessionmaker()() as session:
            if lessons[0].id == lesson_id:
                start.wait(timeout=30)  # every learner's first completion at once
            complete_lesson(session, learner.principal, lesson_id)

    with ThreadPoolExecutor(max_workers=LEARNERS) as pool:
        list(pool.map(complete, sorted(work, key=lambda w: w[1] != lessons[0].id)))

    for learner in learners:
        assert _entry(db, xp_challenge.id, learner.id).score == LESSONS * 10
        lesson_entry = _entry(db, lesson_challenge.id, learner.id)
        assert lesson_entry.score == LESSONS
        assert lesson_entry.completed_at is not None

    # A retry of every completion pays nothing and counts nothing.
    for learner, lesson_id in work[:LESSONS]:
        complete_lesson(db, learner.principal, lesson_id)
    assert _entry(db, xp_challenge.id, learners[0].id).score == LESSONS * 10

    # Completion notified each learner once (their 10th lesson crossed the target).
    from lectern.notifications.models import Notification

    notified = db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.type == "challenge_completed",
            Notification.user_id.in_([learner.id for learner in learners]),
        )
    )
    assert notified == LEARNERS

    board = leaderboard(db, learners[3].principal, xp_challenge.id, limit=100)
    assert board.participants == LEARNERS
    assert [e.score for e in board.entries] == [LESSONS * 10] * LEARNERS
    assert board.me.joined and board.me.score == LESSONS * 10 and board.me.rank is not None


def test_a_replayed_activity_counts_once(db):
    from lectern.challenges.service import join
    from lectern.core import activity
    from lectern.core.activity import XP, Activity

    author = make_account(db, "instructor")
    challenge = _challenge(db, author, "xp")
    learner = make_account(db)
    join(db, learner.principal, challenge.id)
    source = uuid.uuid4()
    told = Activity(XP, learner.id, source, amount=7)
    activity.record(db, [told, told])
    db.commit()
    activity.record(db, [told])
    db.commit()
    assert _entry(db, challenge.id, learner.id).score == 7


def test_only_activity_inside_the_window_after_joining_and_of_the_metric_counts(db):
    from lectern.challenges.service import join
    from lectern.core import activity
    from lectern.core.activity import Activity

    author = make_account(db, "instructor")
    now = datetime.now(UTC)
    challenge = _challenge(
        db,
        author,
        "correct_answers",
        starts=now - timedelta(hours=1),
        ends=now + timedelta(hours=1),
    )
    learner = make_account(db)
    before_joining = Activity(activity.CORRECT_ANSWER, learner.id, uuid.uuid4(), at=now)
    activity.record(db, [before_joining])  # not joined yet: nothing to credit
    db.commit()
    join(db, learner.principal, challenge.id)
    later = datetime.now(UTC) + timedelta(seconds=1)
    activity.record(
        db,
        [
            Activity(activity.CORRECT_ANSWER, learner.id, uuid.uuid4(), at=later),
            Activity(activity.CORRECT_ANSWER, learner.id, uuid.uuid4(), at=later),
            # before the join (a late report of earlier work)
            Activity(activity.CORRECT_ANSWER, learner.id, uuid.uuid4(), at=now),
            # after the window
            Activity(
                activity.CORRECT_ANSWER, learner.id, uuid.uuid4(), at=now + timedelta(hours=2)
            ),
            # another metric
            Activity(activity.XP, learner.id, uuid.uuid4(), amount=50, at=later),
            Activity(activity.LESSON_COMPLETED, learner.id, uuid.uuid4(), at=later),
        ],
    )
    db.commit()
    assert _entry(db, challenge.id, learner.id).score == 2


def test_a_course_challenge_counts_that_course_only_and_answers_by_their_question(db):
    from lectern.assessment.models import Question
    from lectern.challenges.service import join
    from lectern.core import activity
    from lectern.core.activity import Activity

    author = make_account(db, "instructor")
    course, _ = make_course(db, author, lessons=1)
    other, _ = make_course(db, author, lessons=1)
    challenge = _challenge(db, author, "correct_answers", course_id=course.id)
    question = Question(
        owner_id=author.id,
        prompt="?",
        type="single_choice",
        difficulty="easy",
        topic="t",
        course_id=course.id,
    )
    db.add(question)
    db.commit()
    learner = make_account(db)
    join(db, learner.principal, challenge.id)
    at = datetime.now(UTC) + timedelta(seconds=1)
    activity.record(
        db,
        [
            Activity(
                activity.CORRECT_ANSWER, learner.id, uuid.uuid4(), at=at, subject_id=question.id
            ),
            Activity(activity.CORRECT_ANSWER, learner.id, uuid.uuid4(), at=at, course_id=other.id),
            Activity(activity.CORRECT_ANSWER, learner.id, uuid.uuid4(), at=at, course_id=course.id),
            Activity(activity.CORRECT_ANSWER, learner.id, uuid.uuid4(), at=at),
        ],
    )
    db.commit()
    assert _entry(db, challenge.id, learner.id).score == 2


def test_a_rolled_back_activity_counts_nothing_and_publishes_nothing(db):
    from lectern.challenges import boards
    from lectern.challenges.service import join
    from lectern.core import activity
    from lectern.core.activity import Activity

    author = make_account(db, "instructor")
    challenge = _challenge(db, author, "xp")
    learner = make_account(db)
    join(db, learner.principal, challenge.id)
    activity.record(db, [Activity(activity.XP, learner.id, uuid.uuid4(), amount=40)])
    db.rollback()
    db.commit()  # a later commit of the session must not run the rolled-back work
    assert _entry(db, challenge.id, learner.id).score == 0
    assert boards.standing(challenge.id, learner.id, 10).score == 0


def test_join_refuses_an_ended_challenge_and_a_second_join(db):
    from lectern.challenges.service import join
    from lectern.errors import Conflict

    author = make_account(db, "instructor")
    now = datetime.now(UTC)
    ended = _challenge(
        db, author, "xp", starts=now - timedelta(days=2), ends=now - timedelta(days=1)
    )
    learner = make_account(db)
    with pytest.raises(Conflict):
        join(db, learner.principal, ended.id)
    live = _challenge(db, author, "xp")
    assert join(db, learner.principal, live.id).score == 0
    with pytest.raises(Conflict):
        join(db, learner.principal, live.id)


def test_the_board_ranks_keeps_hidden_learners_off_and_is_rebuilt_from_postgres(db):
    from lectern.challenges import boards
    from lectern.challenges.service import join, leaderboard
    from lectern.core import activity
    from lectern.core.activity import XP, Activity
    from lectern.identity.models import Profile
    from lectern.kv.factory import get_kv

    author = make_account(db, "instructor")
    challenge = _challenge(db, author, "xp")
    learners = [make_account(db, name=f"Ranked {i}") for i in range(4)]
    hidden = learners[3]
    db.get(Profile, hidden.id).leaderboard_visible = False
    db.commit()
    for i, learner in enumerate(learners):
        join(db, learner.principal, challenge.id)
        activity.record(db, [Activity(XP, learner.id, uuid.uuid4(), amount=10 * (i + 1))])
        db.commit()
    board = leaderboard(db, learners[0].principal, challenge.id, limit=100)
    assert [(e.name, e.score) for e in board.entries] == [
        ("Ranked 2", 30),
        ("Ranked 1", 20),
        ("Ranked 0", 10),
    ]
    assert board.me.rank == 3
    mine = leaderboard(db, hidden.principal, challenge.id, limit=100)
    assert mine.me.rank is None and mine.me.score == 40

    get_kv().delete(boards.board_key(challenge.id))
    again = leaderboard(db, learners[1].principal, challenge.id, limit=2)
    assert [e.score for e in again.entries] == [30, 20]
    assert again.me.rank == 2 and again.participants == 3

"""Progress use cases against the real Postgres and Upstash stand-ins: enrollments,
completions (also concurrent), certificates, stats, streaks and leaderboards."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_account, make_course, new_account, new_course, sql_statements

CODE = re.compile(r"^LECT(-[0-9A-HJKMNP-TV-Z]{4}){4}$")


def _service():
    from lectern.progress import service

    return service


# --- enrollment -------------------------------------------------------------------------


def test_enroll_starts_at_zero_and_a_second_enroll_conflicts(db):
    from lectern.errors import Conflict

    owner, learner = make_account(db, "instructor"), make_account(db)
    course, _ = make_course(db, owner)
    enrollment = _service().enroll(db, learner.principal, course.id)
    assert enrollment.course_id == course.id
    assert (enrollment.progress, enrollment.completed_lessons) == (0, 0)
    assert enrollment.completed_at is None and enrollment.enrolled_at is not None
    with pytest.raises(Conflict):
        _service().enroll(db, learner.principal, course.id)
    # The owner may enroll in their own published course too.
    assert _service().enroll(db, owner.principal, course.id).progress == 0


def test_enroll_hides_unknown_and_others_unpublished_courses(db):
    from lectern.errors import NotFound
    from lectern.progress.models import Enrollment

    owner, learner = make_account(db, "instructor"), make_account(db)
    draft, _ = make_course(db, owner, published=False)
    for course_id in (uuid.uuid4(), draft.id):
        with pytest.raises(NotFound):
            _service().enroll(db, learner.principal, course_id)
    assert db.scalar(select(func.count()).where(Enrollment.user_id == learner.id)) == 0


def test_concurrent_enrolls_give_one_enrollment_and_one_conflict(stack):
    from lectern.db.engine import get_sessionmaker
    from lectern.errors import Conflict

    owner, learner = new_account("instructor"), new_account()
    course, _ = new_course(owner)
    barrier = threading.Barrier(2)

    def enroll_once(_: int) -> str:
        with get_sessionmaker()() as db:
            barrier.wait()
            try:
                _service().enroll(db, learner.principal, course.id)
            except Conflict:
                return "conflict"
            return "created"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(enroll_once, range(2)))
    assert outcomes == ["conflict", "created"]


def test_enrollments_list_newest_first_with_titles_totals_and_pages(db):
    from lectern.errors import InvalidField

    owner, learner = make_account(db, "instructor"), make_account(db)
    courses = [make_course(db, owner, lessons=n + 1, title=f"C{n}")[0] for n in range(5)]
    for course in courses:
        _service().enroll(db, learner.principal, course.id)

    seen, cursor, pages = [], None, 0
    while True:
        with sql_statements() as sql:
            page = _service().list_enrollments(db, learner.principal, limit=2, cursor=cursor)
        assert len(sql) == 1  # titles and lesson totals come with the page: no N+1
        seen.extend(page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert [i.course_title for i in seen] == ["C4", "C3", "C2", "C1", "C0"]
    assert [i.total_lessons for i in seen] == [5, 4, 3, 2, 1]
    assert all(i.progress == 0 and i.completed_lessons == 0 for i in seen)

    # Another learner's list is their own.
    other = make_account(db)
    assert _service().list_enrollments(db, other.principal, limit=10, cursor=None).items == []
    with pytest.raises(InvalidField) as exc:
        _service().list_enrollments(db, learner.principal, limit=2, cursor="bm9wZQ")
    assert exc.value.field == "cursor"


# --- completion -------------------------------------------------------------------------


def test_completion_progress_fractions_idempotence_xp_and_certificate(db):
    from lectern.identity.models import Profile
    from lectern.progress.models import Certificate, Enrollment
    from lectern.progress.xp import LESSON_COMPLETED_XP

    owner, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, owner, lessons=3)
    _service().enroll(db, learner.principal, course.id)

    first = _service().complete_lesson(db, learner.principal, lessons[0].id)
    assert first.progress == pytest.approx(1 / 3)
    assert (first.completed_lessons, first.total_lessons) == (1, 3)
    assert first.xp_awarded == LESSON_COMPLETED_XP and first.certificate is None

    again = _service().complete_lesson(db, learner.principal, lessons[0].id)
    assert again.progress == first.progress and again.completed_lessons == 1
    assert again.xp_awarded == 0

    assert _service().complete_lesson(db, learner.principal, lessons[1].id).progress == (
        pytest.approx(2 / 3)
    )
    last = _service().complete_lesson(db, learner.principal, lessons[2].id)
    assert (last.progress, last.completed_lessons) == (1.0, 3)
    assert last.certificate is not None and CODE.match(last.certificate.code)

    # Repeating the last lesson shows the same certificate and pays nothing.
    repeat = _service().complete_lesson(db, learner.principal, lessons[2].id)
    assert repeat.xp_awarded == 0 and repeat.certificate == last.certificate

    profile = db.get(Profile, learner.id, populate_existing=True)
    assert profile.xp == 3 * LESSON_COMPLETED_XP
    enrollment = db.scalar(
        select(Enrollment).where(Enrollment.user_id == learner.id),
        execution_options={"populate_existing": True},
    )
    assert enrollment.completed_at is not None and enrollment.progress == 1.0
    certificate = db.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate.course_title == course.title and certificate.course_id == course.id


def test_completion_needs_an_enrollment_and_a_visible_lesson(db):
    from lectern.errors import Forbidden, NotFound
    from lectern.progress.models import LessonCompletion

    owner, learner, admin = (
        make_account(db, "instructor"),
        make_account(db),
        make_account(db, "admin"),
    )
    _course, lessons = make_course(db, owner)
    draft, draft_lessons = make_course(db, owner, published=False)

    for who in (learner, owner, admin):  # seeing the lesson is not being enrolled
        with pytest.raises(Forbidden) as exc:
            _service().complete_lesson(db, who.principal, lessons[0].id)
        assert "enroll" in exc.value.detail.lower()
    for lesson_id in (uuid.uuid4(), draft_lessons[0].id):
        with pytest.raises(NotFound):
            _service().complete_lesson(db, learner.principal, lesson_id)
    db.rollback()
    assert db.scalar(select(func.count()).where(LessonCompletion.user_id == learner.id)) == 0
    assert draft.published_at is None


def test_last_two_lessons_completed_at_once_issue_one_certificate(stack):
    from lectern.db.engine import get_sessionmaker
    from lectern.progress.models import Certificate, Enrollment

    owner = new_account("instructor")
    for _round in range(3):
        learner = new_account()
        course, lessons = new_course(owner, lessons=4)
        with get_sessionmaker()() as db:
            _service().enroll(db, learner.principal, course.id)
            for lesson in lessons[:2]:
                _service().complete_lesson(db, learner.principal, lesson.id)
        barrier = threading.Barrier(2)

        def complete(lesson_id, learner=learner, barrier=barrier):
            with get_sessionmaker()() as db:
                barrier.wait()
                return _service().complete_lesson(db, learner.principal, lesson_id)

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(complete, [lesson.id for lesson in lessons[2:]]))
        assert sorted(r.completed_lessons for r in results) == [3, 4]
        finisher = max(results, key=lambda r: r.completed_lessons)
        assert finisher.progress == 1.0 and finisher.certificate is not None
        with get_sessionmaker()() as db:
            certificates = db.scalars(
                select(Certificate).where(Certificate.user_id == learner.id)
            ).all()
            enrollment = db.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
        assert [c.code for c in certificates] == [finisher.certificate.code]
        assert enrollment.completed_lessons == 4 and enrollment.completed_at is not None


def test_many_concurrent_completions_by_one_learner_count_exactly(stack):
    from lectern.db.engine import get_sessionmaker
    from lectern.identity.models import Profile
    from lectern.progress.models import Certificate, Enrollment
    from lectern.progress.xp import LESSON_COMPLETED_XP

    owner, learner = new_account("instructor"), new_account()
    course, lessons = new_course(owner, lessons=16)
    with get_sessionmaker()() as db:
        _service().enroll(db, learner.principal, course.id)

    def complete(lesson_id):
        with get_sessionmaker()() as db:
            return _service().complete_lesson(db, learner.principal, lesson_id)

    # Every lesson twice: the repeats must change nothing.
    ids = [lesson.id for lesson in lessons] * 2
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(complete, ids))
    assert sum(r.xp_awarded for r in results) == 16 * LESSON_COMPLETED_XP
    assert sorted(r.completed_lessons for r in results if r.xp_awarded) == list(range(1, 17))
    assert sum(1 for r in results if r.certificate is not None) >= 1
    with get_sessionmaker()() as db:
        enrollment = db.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
        assert (enrollment.completed_lessons, enrollment.progress) == (16, 1.0)
        assert db.get(Profile, learner.id).xp == 16 * LESSON_COMPLETED_XP
        assert db.scalar(select(func.count()).where(Certificate.user_id == learner.id)) == 1


def test_a_course_stays_completed_when_lessons_are_added(db):
    from lectern.catalog.models import Lesson

    owner, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, owner, lessons=1)
    _service().enroll(db, learner.principal, course.id)
    done = _service().complete_lesson(db, learner.principal, lessons[0].id)
    assert done.progress == 1.0 and done.certificate is not None

    extra = Lesson(
        module_id=lessons[0].module_id, course_id=course.id, title="New", content="x", position=1
    )
    db.add(extra)
    db.commit()
    later = _service().complete_lesson(db, learner.principal, extra.id)
    assert (later.completed_lessons, later.total_lessons, later.progress) == (2, 2, 1.0)
    assert later.certificate == done.certificate  # not a second one


# --- certificates -----------------------------------------------------------------------


def _certified(db, name="Grace Hopper"):
    owner, learner = make_account(db, "instructor"), make_account(db, name=name)
    course, lessons = make_course(db, owner, lessons=1)
    _service().enroll(db, learner.principal, course.id)
    done = _service().complete_lesson(db, learner.principal, lessons[0].id)
    return learner, course, done.certificate


def test_my_certificates_list_with_verify_urls(db):
    learner, course, certificate = _certified(db)
    page = _service().list_certificates(db, learner.principal, limit=10, cursor=None)
    assert page.next_cursor is None
    [item] = page.items
    assert (item.code, item.course_id, item.course_title) == (
        certificate.code,
        course.id,
        course.title,
    )
    assert item.verify_url.endswith(f"/v1/certificates/{certificate.code}")
    stranger = make_account(db)
    assert _service().list_certificates(db, stranger.principal, limit=10, cursor=None).items == []


def test_public_verification_shows_the_name_never_the_email(db):
    from lectern.errors import NotFound
    from lectern.identity.service import delete_me

    learner, course, certificate = _certified(db, name="Grace Hopper")
    checked = _service().verify_certificate(db, certificate.code)
    assert checked.learner_name == "Grace Hopper" and checked.course_title == course.title
    assert learner.user.email not in checked.model_dump_json()
    # Retyped codes still verify: lower case, O for 0, I or L for 1.
    retyped = certificate.code.lower().replace("0", "o").replace("1", "l")
    assert _service().verify_certificate(db, retyped).code == certificate.code
    with pytest.raises(NotFound):
        _service().verify_certificate(db, "LECT-0000-0000-0000-0000")

    # Erasing the account erases its certificates: the code proves nothing any more.
    delete_me(db, learner.principal)
    with pytest.raises(NotFound):
        _service().verify_certificate(db, certificate.code)


# --- stats and streaks ------------------------------------------------------------------


def test_stats_count_lessons_courses_answers_and_weekly_xp(db):
    from lectern.assessment.models import LearnerStats
    from lectern.progress.xp import LESSON_COMPLETED_XP

    learner = make_account(db)
    empty = _service().stats(db, learner.principal)
    assert empty.model_dump() == {
        "xp": 0,
        "level": 1,
        "streak_days": 0,
        "lessons_completed": 0,
        "courses_completed": 0,
        "answered": 0,
        "accuracy": 0.0,
        "weekly_xp": 0,
    }

    owner = make_account(db, "instructor")
    short, short_lessons = make_course(db, owner, lessons=1)
    long, long_lessons = make_course(db, owner, lessons=3)
    for course in (short, long):
        _service().enroll(db, learner.principal, course.id)
    for lesson in [*short_lessons, long_lessons[0]]:
        _service().complete_lesson(db, learner.principal, lesson.id)
    db.add(LearnerStats(user_id=learner.id, answered=8, correct=6))
    db.commit()

    with sql_statements() as sql:
        numbers = _service().stats(db, learner.principal)
    assert len(sql) == 1
    assert numbers.xp == numbers.weekly_xp == 2 * LESSON_COMPLETED_XP
    assert (numbers.lessons_completed, numbers.courses_completed) == (2, 1)
    assert (numbers.answered, numbers.accuracy) == (8, 0.75)
    assert numbers.streak_days == 1 and numbers.level == 1


def test_streak_grows_with_daily_activity_and_ends_after_a_missed_day(db):
    from lectern.progress.xp import award_xp

    now = datetime.now(UTC)
    owner, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, owner, lessons=1)
    for days_ago in (2, 1):
        award_xp(
            db,
            learner.id,
            reason="test",
            source_id=uuid.uuid4(),
            amount=5,
            now=now - timedelta(days=days_ago),
        )
    db.commit()
    _service().enroll(db, learner.principal, course.id)
    _service().complete_lesson(db, learner.principal, lessons[0].id)
    assert _service().stats(db, learner.principal).streak_days == 3

    lapsed = make_account(db)
    award_xp(
        db, lapsed.id, reason="test", source_id=uuid.uuid4(), amount=5, now=now - timedelta(days=8)
    )
    db.commit()
    numbers = _service().stats(db, lapsed.principal)
    assert numbers.streak_days == 0  # a day was missed
    assert numbers.weekly_xp == 0 and numbers.xp == 5  # last week's XP is not this week's


# --- leaderboards -----------------------------------------------------------------------


@pytest.fixture
def own_boards(settings_env):
    """Leaderboards of this test's own (a fresh KV prefix): exact ranks, and nothing left
    on the boards other tests rank against. Request it before ``db``."""
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_KV_PREFIX", f"lectern-test-{uuid.uuid4().hex[:8]}")
    reset_clients()


def test_leaderboard_orders_entries_names_them_and_places_me(own_boards, db):
    from lectern.kv.factory import get_kv
    from lectern.progress import leaderboards
    from lectern.progress.leaderboards import Period
    from lectern.progress.xp import award_xp

    names = ["Ada", "Grace", "Edsger"]
    racers = [make_account(db, name=name) for name in names]
    awards = [
        award_xp(db, racer.id, reason="test", source_id=uuid.uuid4(), amount=amount)
        for racer, amount in zip(racers, (20, 30, 10), strict=True)
    ]
    db.commit()
    leaderboards.publish(awards)
    # A learner erased since the board was written: the rank stays, the name does not.
    ghost = uuid.uuid4()
    get_kv().zadd(leaderboards.board_key(Period.all_time), {str(ghost): 40})

    with sql_statements() as sql:
        board = _service().leaderboard(db, racers[0].principal, Period.all_time, limit=100)
    assert len(sql) == 1  # every name in one query
    assert [(e.rank, e.user_id, e.name, e.xp) for e in board.entries] == [
        (1, ghost, "Deleted user", 40),
        (2, racers[1].id, "Grace", 30),
        (3, racers[0].id, "Ada", 20),
        (4, racers[2].id, "Edsger", 10),
    ]
    assert (board.me.rank, board.me.xp) == (3, 20)

    weekly = _service().leaderboard(db, racers[2].principal, Period.weekly, limit=2)
    assert weekly.period is Period.weekly
    assert [(e.rank, e.name) for e in weekly.entries] == [(1, "Grace"), (2, "Ada")]
    assert (weekly.me.rank, weekly.me.xp) == (3, 10)  # below the top 2, still placed

    newcomer = make_account(db)
    mine = _service().leaderboard(db, newcomer.principal, Period.weekly, limit=10)
    assert (mine.me.rank, mine.me.xp) == (None, 0)


def test_lesson_xp_reaches_the_boards(own_boards, db):
    from lectern.progress.leaderboards import Period
    from lectern.progress.xp import LESSON_COMPLETED_XP

    owner, learner = make_account(db, "instructor"), make_account(db, name="Linus")
    course, lessons = make_course(db, owner, lessons=2)
    _service().enroll(db, learner.principal, course.id)
    for lesson in lessons:
        _service().complete_lesson(db, learner.principal, lesson.id)
    for period in Period:
        board = _service().leaderboard(db, learner.principal, period, limit=10)
        assert [(e.name, e.xp) for e in board.entries] == [("Linus", 2 * LESSON_COMPLETED_XP)]
        assert board.me.rank == 1


def test_leaderboard_is_a_503_when_the_kv_store_is_down(db, settings_env):
    from lectern.errors import DependencyUnavailable
    from lectern.progress.leaderboards import Period
    from tests.conftest import reset_clients

    learner = make_account(db)
    settings_env.setenv("LECTERN_KV_URL", "http://127.0.0.1:9")
    reset_clients()
    with pytest.raises(DependencyUnavailable) as exc:
        _service().leaderboard(db, learner.principal, Period.all_time, limit=10)
    assert exc.value.status == 503 and exc.value.dependency == "kv"


def test_certificate_codes_are_unambiguous_and_distinct():
    from lectern.progress.service import new_certificate_code

    codes = {new_certificate_code() for _ in range(500)}
    assert len(codes) == 500 and all(CODE.match(c) for c in codes)

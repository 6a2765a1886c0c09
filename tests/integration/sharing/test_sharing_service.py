"""Share links against the real Postgres: ownership, token storage, expiry, revocation, views."""

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lectern.assessment.models import (
    Difficulty,
    Exam,
    ExamAnswer,
    ExamMode,
    ExamQuestion,
    ExamStatus,
    Question,
    QuestionOption,
    QuestionType,
)
from lectern.catalog.models import Course, Lesson, Module
from lectern.config import get_settings
from lectern.core.pagination import encode_cursor
from lectern.errors import Forbidden, InvalidField, NotFound
from lectern.sharing import service
from lectern.sharing.models import Share, ShareEntity
from lectern.sharing.schemas import ShareIn
from tests.factories import Account, make_account

# --- rows made directly, so these tests do not lean on the catalog or exam services ---


@pytest.fixture
def db(rolled_back_db):
    """Nothing here needs another connection to see its writes: each test is rolled back."""
    return rolled_back_db


def make_course(db: Session, owner: Account, *, published: bool = True) -> Course:
    course = Course(
        owner_id=owner.id,
        title="Cardiology basics",
        description="The heart, briefly.",
        category="medicine",
        tags=["heart", "ecg"],
        published_at=datetime.now(UTC) if published else None,
    )
    db.add(course)
    db.flush()
    # Made in reverse order, so the view's ordering is what puts them right.
    second = Module(course_id=course.id, title="Rhythm", position=1)
    first = Module(course_id=course.id, title="Anatomy", position=0)
    db.add_all([second, first])
    db.flush()
    db.add_all(
        [
            Lesson(
                module_id=first.id,
                course_id=course.id,
                title="Valves",
                content="# Valves\nFour of them.",
                position=1,
                duration_minutes=12,
            ),
            Lesson(
                module_id=first.id,
                course_id=course.id,
                title="Chambers",
                content="# Chambers\nAlso four.",
                position=0,
                duration_minutes=None,
            ),
            Lesson(
                module_id=second.id,
                course_id=course.id,
                title="Sinus rhythm",
                content="Normal.",
                position=0,
                duration_minutes=5,
            ),
        ]
    )
    db.commit()
    return course


def first_lesson(db: Session, course: Course) -> Lesson:
    lesson = db.scalar(
        select(Lesson).where(Lesson.course_id == course.id, Lesson.title == "Valves")
    )
    assert lesson is not None
    return lesson


def make_exam(db: Session, learner: Account, author: Account, *, completed: bool) -> Exam:
    """Three questions: answered right, answered wrong, and left unanswered."""
    exam = Exam(
        user_id=learner.id,
        mode=ExamMode.exam,
        status=ExamStatus.completed if completed else ExamStatus.active,
        size=3,
        submitted_at=datetime.now(UTC) if completed else None,
        correct_count=1 if completed else None,
        score=1 / 3 if completed else None,
    )
    db.add(exam)
    db.flush()
    for position in range(3):
        question = Question(
            owner_id=author.id,
            prompt=f"Question {position}?",
            type=QuestionType.single_choice,
            difficulty=Difficulty.easy,
            topic="cardiology",
            explanation=f"Secret explanation {position}",
        )
        db.add(question)
        db.flush()
        right = QuestionOption(question_id=question.id, position=0, text="Right", is_correct=True)
        wrong = QuestionOption(question_id=question.id, position=1, text="Wrong", is_correct=False)
        db.add_all([right, wrong])
        db.add(ExamQuestion(exam_id=exam.id, question_id=question.id, position=position))
        db.flush()
        if position < 2:
            chosen = right if position == 0 else wrong
            db.add(
                ExamAnswer(
                    exam_id=exam.id,
                    question_id=question.id,
                    option_ids=[chosen.id],
                    is_correct=position == 0,
                )
            )
    db.commit()
    return exam


def share(db: Session, who: Account, entity: str, entity_id: uuid.UUID, **extra):
    data = ShareIn(entity_type=ShareEntity(entity), entity_id=entity_id, **extra)
    return service.create_share(db, who.principal, data)


@pytest.fixture
def instructor(db: Session) -> Account:
    return make_account(db, "instructor", name="Dr. Heart")


# --- tokens ---


def test_token_has_256_bits_and_only_its_hash_is_stored(db: Session, instructor: Account):
    course = make_course(db, instructor)
    created = share(db, instructor, "course", course.id)
    other = share(db, instructor, "course", course.id)

    assert len(created.token) == 43  # 32 bytes, base64url without padding
    assert set(created.token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert created.token != other.token

    row = db.execute(select(Share.__table__).where(Share.id == created.id)).mappings().one()
    assert row["token_hash"] == hashlib.sha256(created.token.encode()).hexdigest()
    assert all(created.token not in str(value) for value in row.values())
    assert row["owner_id"] == instructor.id


def test_url_opens_the_frontend_page_on_the_magic_link_origin(db: Session, instructor: Account):
    course = make_course(db, instructor)
    created = share(db, instructor, "course", course.id)
    origin = urlsplit(get_settings().auth.magic_link_url)
    assert created.url == f"{origin.scheme}://{origin.netloc}/shared/{created.token}"


def test_links_expire_after_30_days_unless_told(db: Session, instructor: Account):
    course = make_course(db, instructor)
    default = share(db, instructor, "course", course.id)
    week = share(db, instructor, "course", course.id, expires_in_days=7)
    assert abs(default.expires_at - default.created_at - timedelta(days=30)) < timedelta(minutes=1)
    assert abs(week.expires_at - week.created_at - timedelta(days=7)) < timedelta(minutes=1)


# --- who may share what ---


def test_course_and_lesson_sharing_by_role(db: Session, instructor: Account):
    published = make_course(db, instructor)
    draft = make_course(db, instructor, published=False)
    learner = make_account(db, "student")
    colleague = make_account(db, "instructor")
    admin = make_account(db, "admin")

    for course in (published, draft):
        assert share(db, instructor, "course", course.id).entity_id == course.id
        assert share(db, admin, "course", course.id).entity_id == course.id
        lesson = first_lesson(db, course)
        assert share(db, instructor, "lesson", lesson.id).entity_id == lesson.id
        assert share(db, admin, "lesson", lesson.id).entity_id == lesson.id

    # Seen but not theirs: 403. Not even seen (a draft): 404, so drafts do not leak.
    for outsider in (learner, colleague):
        with pytest.raises(Forbidden):
            share(db, outsider, "course", published.id)
        with pytest.raises(Forbidden):
            share(db, outsider, "lesson", first_lesson(db, published).id)
        with pytest.raises(NotFound):
            share(db, outsider, "course", draft.id)
        with pytest.raises(NotFound):
            share(db, outsider, "lesson", first_lesson(db, draft).id)

    for entity in ("course", "lesson", "exam"):
        with pytest.raises(NotFound):
            share(db, admin, entity, uuid.uuid4())
    assert db.scalar(select(Share).where(Share.owner_id.in_([learner.id, colleague.id]))) is None


def test_only_the_learner_who_took_an_exam_may_share_it(db: Session, instructor: Account):
    learner = make_account(db, "student")
    exam = make_exam(db, learner, instructor, completed=False)
    assert share(db, learner, "exam", exam.id).entity_id == exam.id
    for other in (make_account(db, "student"), instructor, make_account(db, "admin")):
        with pytest.raises(NotFound):
            share(db, other, "exam", exam.id)


# --- what a link shows ---


def test_course_link_shows_the_outline_and_no_private_field(db: Session, instructor: Account):
    course = make_course(db, instructor, published=False)
    created = share(db, instructor, "course", course.id)

    view = service.open_share(db, created.token)
    body = view.model_dump(mode="json")
    assert body["type"] == "course"
    shown = body["course"]
    assert shown["title"] == "Cardiology basics" and shown["owner_name"] == "Dr. Heart"
    assert shown["tags"] == ["heart", "ecg"] and shown["category"] == "medicine"
    assert [m["title"] for m in shown["modules"]] == ["Anatomy", "Rhythm"]
    assert [lesson["title"] for lesson in shown["modules"][0]["lessons"]] == ["Chambers", "Valves"]
    assert set(shown["modules"][0]["lessons"][1]) == {"id", "title", "duration_minutes"}
    text = json.dumps(body)
    assert str(instructor.id) not in text and instructor.user.email not in text
    assert "Four of them" not in text  # an outline, not the lessons' content


def test_lesson_link_shows_its_content(db: Session, instructor: Account):
    course = make_course(db, instructor)
    lesson = first_lesson(db, course)
    view = service.open_share(db, share(db, instructor, "lesson", lesson.id).token)
    assert view.model_dump(mode="json") == {
        "type": "lesson",
        "lesson": {
            "id": str(lesson.id),
            "title": "Valves",
            "content": "# Valves\nFour of them.",
            "duration_minutes": 12,
            "course_title": "Cardiology basics",
        },
    }


def test_an_unfinished_exam_link_gives_nothing_away(db: Session, instructor: Account):
    learner = make_account(db, "student")
    exam = make_exam(db, learner, instructor, completed=False)
    view = service.open_share(db, share(db, learner, "exam", exam.id).token)

    body = view.model_dump(mode="json")
    assert body["exam"]["status"] == "active" and body["exam"]["score"] is None
    assert [q["prompt"] for q in body["exam"]["questions"]] == [
        "Question 0?",
        "Question 1?",
        "Question 2?",
    ]
    assert body["exam"]["questions"][0]["options"] == [{"text": "Right"}, {"text": "Wrong"}]
    text = json.dumps(body)
    for secret in ("is_correct", "explanation", "Secret", "answered_correctly", "correct"):
        assert secret not in text
    for private in (learner.id, instructor.id, exam.id):
        assert str(private) not in text
    assert learner.user.email not in text
    option_ids = db.scalars(select(QuestionOption.id)).all()
    assert not any(str(option_id) in text for option_id in option_ids)


def test_a_completed_exam_link_shows_the_review(db: Session, instructor: Account):
    learner = make_account(db, "student")
    exam = make_exam(db, learner, instructor, completed=True)
    view = service.open_share(db, share(db, learner, "exam", exam.id).token)

    shown = view.model_dump(mode="json")["exam"]
    assert shown["status"] == "completed" and shown["score"] == pytest.approx(1 / 3)
    assert [q["answered_correctly"] for q in shown["questions"]] == [True, False, None]
    assert shown["questions"][1]["explanation"] == "Secret explanation 1"
    assert shown["questions"][1]["options"] == [
        {"text": "Right", "is_correct": True},
        {"text": "Wrong", "is_correct": False},
    ]
    assert str(learner.id) not in json.dumps(shown)


# --- dead links ---


def _not_found_detail(db: Session, token: str) -> str:
    with pytest.raises(NotFound) as exc:
        service.open_share(db, token)
    return exc.value.detail


def test_unknown_revoked_expired_and_deleted_links_look_the_same(db: Session, instructor: Account):
    course = make_course(db, instructor)
    revoked = share(db, instructor, "course", course.id)
    expired = share(db, instructor, "course", course.id)
    live = share(db, instructor, "course", course.id)
    service.revoke_share(db, instructor.principal, revoked.id)
    db.execute(
        update(Share)
        .where(Share.id == expired.id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.commit()
    assert service.open_share(db, live.token).type == "course"

    details = {
        _not_found_detail(db, token)
        for token in (revoked.token, expired.token, "x" * 43, "short", "y" * 300)
    }
    db.execute(delete(Course).where(Course.id == course.id))
    db.commit()
    details.add(_not_found_detail(db, live.token))
    assert details == {service.LINK_NOT_FOUND}


def test_links_to_deleted_lessons_and_exams_die(db: Session, instructor: Account):
    learner = make_account(db, "student")
    lesson = first_lesson(db, make_course(db, instructor))
    exam = make_exam(db, learner, instructor, completed=True)
    lesson_link = share(db, instructor, "lesson", lesson.id)
    exam_link = share(db, learner, "exam", exam.id)
    db.execute(delete(Lesson).where(Lesson.id == lesson.id))
    db.execute(delete(Exam).where(Exam.id == exam.id))
    db.commit()
    for token in (lesson_link.token, exam_link.token):
        assert _not_found_detail(db, token) == service.LINK_NOT_FOUND


# --- revocation and the owner's list ---


def test_revoking_is_owner_only_and_idempotent(db: Session, instructor: Account):
    course = make_course(db, instructor)
    created = share(db, instructor, "course", course.id)
    for other in (make_account(db, "student"), make_account(db, "admin")):
        with pytest.raises(NotFound):
            service.revoke_share(db, other.principal, created.id)
    assert service.open_share(db, created.token).type == "course"

    service.revoke_share(db, instructor.principal, created.id)
    first = db.scalar(select(Share.revoked_at).where(Share.id == created.id))
    assert first is not None
    service.revoke_share(db, instructor.principal, created.id)
    assert db.scalar(select(Share.revoked_at).where(Share.id == created.id)) == first
    with pytest.raises(NotFound):
        service.revoke_share(db, instructor.principal, uuid.uuid4())


def test_the_owner_lists_their_shares_newest_first_without_tokens(db: Session, instructor: Account):
    course = make_course(db, instructor)
    made = [share(db, instructor, "course", course.id) for _ in range(5)]
    share(db, make_account(db, "admin"), "course", course.id)  # someone else's
    service.revoke_share(db, instructor.principal, made[0].id)

    seen = []
    cursor = None
    while True:
        page = service.list_shares(db, instructor.principal, limit=2, cursor=cursor)
        assert len(page.items) <= 2
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [s.id for s in seen] == [m.id for m in reversed(made)]
    assert [s.revoked for s in seen] == [False, False, False, False, True]
    assert "token" not in seen[0].model_dump()

    for foreign in ("bm90IGpzb24", encode_cursor({"id": "x"}), encode_cursor({"a": 1})):
        with pytest.raises(InvalidField) as exc:
            service.list_shares(db, instructor.principal, limit=2, cursor=foreign)
        assert exc.value.field == "cursor"

"""Share links end to end through the `sharing` Lambda handler."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from tests.e2e.conftest import invoke
from tests.factories import Account, new_account


def _course(owner: Account, *, published: bool = True) -> uuid.UUID:
    from lectern.catalog.models import Course, Lesson, Module
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        course = Course(
            owner_id=owner.id,
            title="Shared course",
            description="Worth a look.",
            tags=["e2e"],
            published_at=datetime.now(UTC) if published else None,
        )
        db.add(course)
        db.flush()
        module = Module(course_id=course.id, title="Only module", position=0)
        db.add(module)
        db.flush()
        db.add(
            Lesson(
                module_id=module.id,
                course_id=course.id,
                title="Only lesson",
                content="Body text.",
                position=0,
            )
        )
        db.commit()
        return course.id


def _lesson_of(course_id: uuid.UUID) -> uuid.UUID:
    from sqlalchemy import select

    from lectern.catalog.models import Lesson
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        lesson_id = db.scalar(select(Lesson.id).where(Lesson.course_id == course_id))
        assert lesson_id is not None
        return lesson_id


def _active_exam(learner: Account, author: Account) -> uuid.UUID:
    from lectern.assessment.models import (
        Difficulty,
        Exam,
        ExamMode,
        ExamQuestion,
        Question,
        QuestionOption,
        QuestionType,
    )
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        exam = Exam(user_id=learner.id, mode=ExamMode.practice, size=1)
        question = Question(
            owner_id=author.id,
            prompt="Which chamber pumps to the body?",
            type=QuestionType.single_choice,
            difficulty=Difficulty.medium,
            topic="cardiology",
            explanation="The left ventricle: the hidden explanation.",
        )
        db.add_all([exam, question])
        db.flush()
        db.add_all(
            [
                QuestionOption(question_id=question.id, position=0, text="LV", is_correct=True),
                QuestionOption(question_id=question.id, position=1, text="RA", is_correct=False),
                ExamQuestion(exam_id=exam.id, question_id=question.id, position=0),
            ]
        )
        db.commit()
        return exam.id


def _share(account: Account, entity_type: str, entity_id: uuid.UUID, **extra):
    body = {"entity_type": entity_type, "entity_id": str(entity_id), **extra}
    return invoke("sharing", "POST", "/v1/shares", body=body, token=account.token)


def test_share_open_list_and_revoke():
    owner = new_account("instructor", name="Prof. Share")
    course_id = _course(owner)

    created = _share(owner, "course", course_id, expires_in_days=3)
    assert created.status == 201, created.body
    assert set(created.body) >= {"id", "token", "url", "expires_at", "created_at"}
    assert created.body["entity_type"] == "course"
    assert created.body["entity_id"] == str(course_id)
    assert created.body["url"].endswith("/shared/" + created.body["token"])
    token = created.body["token"]

    opened = invoke("sharing", "GET", f"/v1/shared/{token}")  # no Authorization header
    assert opened.status == 200, opened.body
    assert opened.headers["cache-control"] == "no-store"
    assert opened.body["type"] == "course"
    assert opened.body["course"]["owner_name"] == "Prof. Share"
    assert opened.body["course"]["modules"][0]["lessons"][0]["title"] == "Only lesson"
    text = json.dumps(opened.body)
    assert str(owner.id) not in text and owner.user.email not in text

    listed = invoke("sharing", "GET", "/v1/me/shares", token=owner.token)
    assert listed.status == 200
    assert listed.body["next_cursor"] is None
    [item] = listed.body["items"]
    assert item["id"] == created.body["id"] and item["revoked"] is False
    assert "token" not in item and token not in json.dumps(listed.body)

    share_path = f"/v1/shares/{created.body['id']}"
    assert invoke("sharing", "DELETE", share_path, token=owner.token).status == 204
    assert invoke("sharing", "GET", f"/v1/shared/{token}").status == 404
    assert invoke("sharing", "DELETE", share_path, token=owner.token).status == 204
    listed = invoke("sharing", "GET", "/v1/me/shares", token=owner.token)
    assert listed.body["items"][0]["revoked"] is True


def test_post_ownership_matrix():
    owner = new_account("instructor")
    published, draft = _course(owner), _course(owner, published=False)
    learner = new_account("student")
    colleague = new_account("instructor")
    admin = new_account("admin")

    assert _share(owner, "course", draft).status == 201
    assert _share(owner, "lesson", _lesson_of(draft)).status == 201
    assert _share(admin, "course", draft).status == 201
    for outsider in (learner, colleague):
        assert _share(outsider, "course", published).status == 403
        assert _share(outsider, "lesson", _lesson_of(published)).status == 403
        assert _share(outsider, "course", draft).status == 404
        assert _share(outsider, "lesson", _lesson_of(draft)).status == 404

    exam_id = _active_exam(learner, owner)
    assert _share(learner, "exam", exam_id).status == 201
    for other in (colleague, admin, new_account("student")):
        assert _share(other, "exam", exam_id).status == 404

    body = {"entity_type": "course", "entity_id": str(published)}
    anonymous = invoke("sharing", "POST", "/v1/shares", body=body)
    assert anonymous.status == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


def test_bad_input_names_the_field():
    owner = new_account("instructor")
    course_id = _course(owner)
    cases = {
        "entity_type": {"entity_type": "document"},
        "entity_id": {"entity_id": "not-a-uuid"},
        "expires_in_days": {"expires_in_days": 366},
        "owner_id": {"owner_id": str(uuid.uuid4())},
        "token": {"token": "x" * 43},
    }
    for field, change in cases.items():
        body = {"entity_type": "course", "entity_id": str(course_id), **change}
        reply = invoke("sharing", "POST", "/v1/shares", body=body, token=owner.token)
        assert reply.status == 422, (field, reply.body)
        assert [e["field"] for e in reply.body["errors"]] == [field]
    for days in (0, None, True):
        reply = _share(owner, "course", course_id, expires_in_days=days)
        assert reply.status == 422 and reply.body["errors"][0]["field"] == "expires_in_days"

    for query in ("limit=0", "limit=101", "cursor=bm90IGpzb24"):
        reply = invoke("sharing", "GET", "/v1/me/shares", token=owner.token, query=query)
        assert reply.status == 422
        assert reply.body["errors"][0]["field"] in ("limit", "cursor")


def test_an_active_exam_view_leaks_nothing():
    author = new_account("instructor")
    learner = new_account("student")
    exam_id = _active_exam(learner, author)
    token = _share(learner, "exam", exam_id).body["token"]

    opened = invoke("sharing", "GET", f"/v1/shared/{token}")
    assert opened.status == 200
    exam = opened.body["exam"]
    assert exam["status"] == "active" and exam["mode"] == "practice" and exam["score"] is None
    assert exam["questions"] == [
        {
            "prompt": "Which chamber pumps to the body?",
            "type": "single_choice",
            "options": [{"text": "LV"}, {"text": "RA"}],
        }
    ]
    text = json.dumps(opened.body)
    for secret in ("is_correct", "explanation", "hidden", learner.user.email, author.user.email):
        assert secret not in text
    for private in (learner.id, author.id, exam_id):
        assert str(private) not in text


def test_dead_links_all_answer_the_same_404():
    from lectern.db.engine import get_sessionmaker
    from lectern.sharing.models import Share

    owner = new_account("instructor")
    course_id = _course(owner)
    revoked, expired = _share(owner, "course", course_id), _share(owner, "course", course_id)
    invoke("sharing", "DELETE", f"/v1/shares/{revoked.body['id']}", token=owner.token)
    with get_sessionmaker()() as db:
        db.execute(
            update(Share)
            .where(Share.id == uuid.UUID(expired.body["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.commit()

    replies = [
        invoke("sharing", "GET", f"/v1/shared/{token}")
        for token in (revoked.body["token"], expired.body["token"], "u" * 43, "tiny")
    ]
    assert {r.status for r in replies} == {404}
    assert all(r.body == replies[0].body for r in replies)
    assert replies[0].headers["content-type"] == "application/problem+json"


def test_delete_is_owner_only():
    owner = new_account("instructor")
    created = _share(owner, "course", _course(owner))
    path = f"/v1/shares/{created.body['id']}"

    assert invoke("sharing", "DELETE", path).status == 401
    for other in (new_account("student"), new_account("admin")):
        assert invoke("sharing", "DELETE", path, token=other.token).status == 404
    assert invoke("sharing", "GET", f"/v1/shared/{created.body['token']}").status == 200
    unknown = invoke("sharing", "DELETE", f"/v1/shares/{uuid.uuid4()}", token=owner.token)
    assert unknown.status == 404
    assert invoke("sharing", "DELETE", "/v1/shares/nope", token=owner.token).status == 422


def test_a_running_exam_link_hides_short_answer_solutions():
    """Attack: share your own running exam and open the link to read the accepted answers
    of its short-answer questions (a short answer's options are its solutions)."""
    from lectern.assessment.models import (
        Difficulty,
        Exam,
        ExamMode,
        ExamQuestion,
        Question,
        QuestionOption,
        QuestionType,
    )
    from lectern.db.engine import get_sessionmaker

    author, learner = new_account("instructor"), new_account("student")
    with get_sessionmaker()() as db:
        exam = Exam(user_id=learner.id, mode=ExamMode.exam, size=1)
        question = Question(
            owner_id=author.id,
            prompt="Name the powerhouse of the cell.",
            type=QuestionType.short_answer,
            difficulty=Difficulty.easy,
            topic="cells",
        )
        db.add_all([exam, question])
        db.flush()
        db.add_all(
            [
                QuestionOption(
                    question_id=question.id, position=0, text="mitochondrion", is_correct=True
                ),
                QuestionOption(
                    question_id=question.id, position=1, text="mitochondria", is_correct=True
                ),
                ExamQuestion(exam_id=exam.id, question_id=question.id, position=0),
            ]
        )
        db.commit()
        exam_id = exam.id
    token = _share(learner, "exam", exam_id).body["token"]

    opened = invoke("sharing", "GET", f"/v1/shared/{token}")
    assert opened.status == 200
    [shown] = opened.body["exam"]["questions"]
    assert shown["type"] == "short_answer" and shown["options"] == []
    assert "mitochondri" not in json.dumps(opened.body)
    # The taker's own view hides them too: the shared view reveals nothing more.
    own = invoke("assessments", "GET", f"/v1/exams/{exam_id}", token=learner.token)
    assert own.status == 200 and own.body["questions"][0]["options"] == []

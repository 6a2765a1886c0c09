"""Finding F10: exams could be farmed. Exam creation was unthrottled, every correct answer
paid XP (the same question drawn again in exam after exam paid each time), and pause had
no limit in exam mode, so a time limit could be stretched at will. Each attack below now
fails through the real handler: 429 with Retry-After past the exam starts, XP once per
learner and question (the answer is still recorded and counted), 409
``pause-limit-reached`` past the pauses, and paused time beyond the allowance is spent
from the clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import invoke
from tests.factories import new_account
from tests.integration.assessment.helpers import question_data, unique


def call(method: str, path: str, token: str | None = None, **kw):
    return invoke("assessments", method, path, token=token, **kw)


@pytest.fixture
def limits(settings_env):
    """Exam limits of this test's own (its learners are new, so are their throttle counts)."""
    from tests.conftest import reset_clients

    def set_limits(**values: int) -> None:
        for name, value in values.items():
            settings_env.setenv(f"LECTERN_{name.upper()}", str(value))
        reset_clients()

    return set_limits


@pytest.fixture(scope="module")
def author():
    return new_account("instructor")


def _bank(author, topic: str, n: int) -> list[str]:
    reply = call(
        "POST",
        "/v1/questions/bulk",
        author.token,
        body={"questions": [question_data(topic, difficulty="medium") for _ in range(n)]},
    )
    assert reply.status == 201, reply.body
    return reply.body["ids"]


def _answer_body(author, question_id: str, *, right: bool) -> dict:
    question = call("GET", f"/v1/questions/{question_id}", author.token).body
    chosen = [o["id"] for o in question["options"] if o["is_correct"] is right]
    return {"question_id": question_id, "option_ids": chosen[:1]}


def _exam(learner, topic: str, size: int, mode: str, **extra) -> dict:
    reply = call(
        "POST",
        "/v1/exams",
        learner.token,
        body={"size": size, "topic": topic, "mode": mode, **extra},
    )
    assert reply.status == 201, reply.body
    return reply.body


def _problem(reply, status: int, slug: str) -> dict:
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.body["type"] == f"urn:lectern:problem:{slug}"
    return reply.body


def _backdate_pause(exam_id: str, seconds: float) -> None:
    """The clock moves on: the exam was paused ``seconds`` earlier than it was."""
    from sqlalchemy import update

    from lectern.assessment.models import Exam
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        db.execute(
            update(Exam)
            .where(Exam.id == uuid.UUID(exam_id))
            .values(paused_at=Exam.paused_at - timedelta(seconds=seconds))
        )
        db.commit()


def test_exam_starts_are_throttled_per_learner(limits, author):
    limits(exams_per_hour=3)
    topic = unique("farm")
    _bank(author, topic, 2)
    learner, other = new_account(), new_account()
    body = {"size": 2, "topic": topic, "mode": "practice"}

    replies = [call("POST", "/v1/exams", learner.token, body=body) for _ in range(5)]
    assert [r.status for r in replies] == [201] * 3 + [429] * 2
    _problem(replies[3], 429, "rate-limited")
    assert 1 <= int(replies[3].headers["retry-after"]) <= 3600
    # Nothing was drawn past the limit.
    mine = call("GET", "/v1/me/exams", learner.token, query="limit=10").body["items"]
    assert sorted(e["id"] for e in mine) == sorted(r.body["id"] for r in replies[:3])
    assert call("POST", "/v1/exams", other.token, body=body).status == 201


def test_quiz_attempts_count_as_exam_starts(limits, author):
    from tests.factories import new_course

    limits(exams_per_hour=2)
    course, _lessons = new_course(author)
    [question] = _bank(author, unique("quiz-farm"), 1)
    quiz = call(
        "POST",
        f"/v1/courses/{course.id}/quizzes",
        author.token,
        body={"title": "Check", "mode": "practice", "question_ids": [question]},
    )
    assert quiz.status == 201, quiz.body
    learner = new_account()
    enrolled = invoke("progress", "POST", f"/v1/courses/{course.id}/enroll", token=learner.token)
    assert enrolled.status == 201
    path = f"/v1/quizzes/{quiz.body['id']}/attempts"
    replies = [call("POST", path, learner.token) for _ in range(3)]
    assert [r.status for r in replies] == [201, 201, 429]
    _problem(replies[2], 429, "rate-limited")
    mine = call("GET", "/v1/me/exams", learner.token, query="limit=10").body["items"]
    assert len(mine) == 2


def test_xp_is_paid_once_per_learner_and_question(author):
    topic = unique("xp-farm")
    first, second = _bank(author, topic, 2)  # medium: 4 XP each
    learner = new_account()

    def xp() -> int:
        stats = invoke("progress", "GET", "/v1/me/stats", token=learner.token)
        assert stats.status == 200
        return int(stats.body["xp"])

    exam = _exam(learner, topic, 2, "practice")
    base = f"/v1/exams/{exam['id']}/answers"
    assert call("POST", base, learner.token, body=_answer_body(author, first, right=True)).body[
        "correct"
    ]
    call("POST", base, learner.token, body=_answer_body(author, second, right=False))
    assert xp() == 4

    # The same questions drawn again, in either mode, and answered right: recorded, no XP
    # for the first question; the second is paid on its first right answer.
    for mode, expected in (("exam", 8), ("practice", 8)):
        again = _exam(learner, topic, 2, mode)
        path = f"/v1/exams/{again['id']}/answers"
        for qid in (first, second):
            reply = call("POST", path, learner.token, body=_answer_body(author, qid, right=True))
            assert reply.status == 201, reply.body
        assert xp() == expected
        view = call("GET", f"/v1/exams/{again['id']}", learner.token).body
        assert view["answered"] == 2

    performance = call("GET", "/v1/me/performance", learner.token).body
    assert (performance["answered"], performance["correct"]) == (6, 5)
    stats = invoke("progress", "GET", "/v1/me/stats", token=learner.token).body
    assert stats["answered"] == 6


def test_exam_mode_pauses_are_limited(limits, author):
    limits(exam_max_pauses=2)
    topic = unique("pauses")
    [qid] = _bank(author, topic, 1)
    learner = new_account()
    exam = _exam(learner, topic, 1, "exam", time_limit_minutes=10)
    base = f"/v1/exams/{exam['id']}"
    assert exam["pauses_left"] == 2

    for left in (1, 0):
        paused = call("POST", f"{base}/pause", learner.token)
        assert paused.status == 200 and paused.body["pauses_left"] == left
        assert call("POST", f"{base}/resume", learner.token).status == 200
    before = call("GET", base, learner.token).body
    refused = call("POST", f"{base}/pause", learner.token)
    assert "pauses" in _problem(refused, 409, "pause-limit-reached")["detail"]
    # The refusal changed nothing: still active, on the same deadline, and answerable.
    after = call("GET", base, learner.token).body
    assert after["status"] == "active" and after["pauses_left"] == 0
    assert after["deadline_at"] == before["deadline_at"]
    body = _answer_body(author, qid, right=True)
    assert call("POST", f"{base}/answers", learner.token, body=body).status == 201

    # Practice mode is the learner's own pace: no limit.
    practice = _exam(learner, topic, 1, "practice", time_limit_minutes=10)
    assert practice["pauses_left"] is None
    for _ in range(4):
        assert call("POST", f"/v1/exams/{practice['id']}/pause", learner.token).status == 200
        assert call("POST", f"/v1/exams/{practice['id']}/resume", learner.token).status == 200


def test_paused_time_past_the_allowance_runs_the_clock(limits, author):
    limits(exam_max_paused_minutes=1)
    topic = unique("paused-time")
    _bank(author, topic, 1)
    learner = new_account()
    exam = _exam(learner, topic, 1, "exam", time_limit_minutes=10)
    base = f"/v1/exams/{exam['id']}"

    assert call("POST", f"{base}/pause", learner.token).status == 200
    _backdate_pause(exam["id"], 5 * 60)
    # Paused for five minutes with one allowed: four came off the clock, even while paused.
    view = call("GET", base, learner.token).body
    assert view["status"] == "paused" and view["remaining_seconds"] == pytest.approx(360, abs=5)
    resumed = call("POST", f"{base}/resume", learner.token).body
    assert resumed["remaining_seconds"] == pytest.approx(360, abs=5)
    deadline = datetime.fromisoformat(resumed["deadline_at"])
    expected = datetime.now(UTC) + timedelta(seconds=360)
    assert abs((deadline - expected).total_seconds()) < 5

    # The allowance is spent: a pause no longer stops the clock, and once the time is
    # gone the exam is submitted as it stands.
    assert call("POST", f"{base}/pause", learner.token).status == 200
    _backdate_pause(exam["id"], 7 * 60)
    late = call("POST", f"{base}/resume", learner.token)
    assert "time is up" in _problem(late, 409, "conflict")["detail"].lower()
    done = call("GET", base, learner.token).body
    assert done["status"] == "completed" and done["score"] == 0.0

    # Practice mode's clock stops for as long as the pause lasts.
    practice = _exam(learner, topic, 1, "practice", time_limit_minutes=10)
    assert call("POST", f"/v1/exams/{practice['id']}/pause", learner.token).status == 200
    _backdate_pause(practice["id"], 30 * 60)
    resumed = call("POST", f"/v1/exams/{practice['id']}/resume", learner.token).body
    assert resumed["remaining_seconds"] == pytest.approx(600, abs=5)

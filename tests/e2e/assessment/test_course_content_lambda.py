"""Course quizzes and lesson resources through the handlers: the contract's status codes,
wrong enums named, unknown ids 404, nothing written on refusal."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import invoke
from tests.factories import new_account, new_course


def _question(token: str) -> str:
    reply = invoke(
        "assessments",
        "POST",
        "/v1/questions",
        token=token,
        body={
            "prompt": "Which?",
            "type": "single_choice",
            "difficulty": "easy",
            "topic": f"e2e-{uuid.uuid4().hex[:8]}",
            "options": [{"text": "a", "is_correct": True}, {"text": "b", "is_correct": False}],
        },
    )
    assert reply.status == 201, reply.body
    return reply.body["id"]


def test_quiz_attempt_is_an_exam_answered_by_the_exam_routes():
    owner, learner = new_account("instructor"), new_account()
    course, lessons = new_course(owner)
    question = _question(owner.token)
    quiz = invoke(
        "assessments",
        "POST",
        f"/v1/courses/{course.id}/quizzes",
        token=owner.token,
        body={
            "title": "Lesson check",
            "lesson_id": str(lessons[0].id),
            "mode": "practice",
            "question_ids": [question],
        },
    )
    assert quiz.status == 201, quiz.body
    assert (
        invoke("progress", "POST", f"/v1/courses/{course.id}/enroll", token=learner.token).status
        == 201
    )
    exam = invoke(
        "assessments", "POST", f"/v1/quizzes/{quiz.body['id']}/attempts", token=learner.token
    )
    assert exam.status == 201 and exam.body["status"] == "active"
    assert "is_correct" not in str(exam.body)
    q = exam.body["questions"][0]
    answered = invoke(
        "assessments",
        "POST",
        f"/v1/exams/{exam.body['id']}/answers",
        token=learner.token,
        body={"question_id": q["id"], "option_ids": [q["options"][0]["id"]]},
    )
    assert answered.status == 201 and "correct" in answered.body
    submitted = invoke(
        "assessments", "POST", f"/v1/exams/{exam.body['id']}/submit", token=learner.token
    )
    assert submitted.status == 200
    roster = invoke("progress", "GET", f"/v1/courses/{course.id}/enrollments", token=owner.token)
    assert roster.status == 200
    [row] = roster.body["items"]
    assert row["user"]["id"] == str(learner.id) and "email" not in row["user"]
    assert row["quiz_attempts"] == 1
    detail = invoke(
        "progress", "GET", f"/v1/courses/{course.id}/learners/{learner.id}", token=owner.token
    )
    assert detail.status == 200
    assert [a["quiz_id"] for a in detail.body["quiz_attempts"]] == [quiz.body["id"]]


def test_wrong_enums_and_bad_shapes_name_the_field_and_write_nothing():
    owner = new_account("instructor")
    course, _ = new_course(owner)
    question = _question(owner.token)
    cases = [
        ({"title": "T", "mode": "quizzical", "question_ids": [question]}, "mode"),
        (
            {"title": "T", "mode": "exam", "draw": {"size": 2, "difficulty": "brutal"}},
            "draw.difficulty",
        ),
        ({"title": "T", "mode": "exam", "draw": {"size": 0}}, "draw.size"),
        # Found by the fuzz run: these were coerced, not refused.
        ({"title": "T", "mode": "exam", "draw": {"size": "2"}}, "draw.size"),
        (
            {"title": "T", "mode": "exam", "question_ids": [question], "time_limit_minutes": 5.0},
            "time_limit_minutes",
        ),
        ({"title": "T", "mode": "exam"}, "question_ids"),
        ({"title": "T", "mode": "exam", "question_ids": [question, question]}, "question_ids"),
        ({"title": "T", "mode": "exam", "question_ids": [str(uuid.uuid4())]}, "question_ids"),
        (
            {"title": "T", "mode": "exam", "question_ids": [question], "time_limit_minutes": 0},
            "time_limit_minutes",
        ),
    ]
    for body, field in cases:
        reply = invoke(
            "assessments", "POST", f"/v1/courses/{course.id}/quizzes", token=owner.token, body=body
        )
        assert reply.status == 422, (body, reply.body)
        assert field in {e["field"] for e in reply.body["errors"]}, (field, reply.body)
    listed = invoke("assessments", "GET", f"/v1/courses/{course.id}/quizzes", token=owner.token)
    assert listed.status == 200 and listed.body["items"] == []


def test_unknown_ids_are_404():
    owner = new_account("instructor")
    nobody = uuid.uuid4()
    body = {"title": "T", "mode": "exam", "question_ids": [_question(owner.token)]}
    calls = [
        ("assessments", "POST", f"/v1/courses/{nobody}/quizzes", body),
        ("assessments", "GET", f"/v1/courses/{nobody}/quizzes", None),
        ("assessments", "POST", f"/v1/quizzes/{nobody}/attempts", None),
        ("progress", "GET", f"/v1/courses/{nobody}/enrollments", None),
        ("progress", "GET", f"/v1/courses/{nobody}/learners/{nobody}", None),
        ("progress", "DELETE", f"/v1/courses/{nobody}/enroll", None),
        ("documents", "POST", f"/v1/lessons/{nobody}/resources", {"document_id": str(nobody)}),
        ("documents", "GET", f"/v1/lessons/{nobody}/resources", None),
        ("documents", "GET", f"/v1/resources/{nobody}/download", None),
        ("documents", "DELETE", f"/v1/resources/{nobody}", None),
    ]
    for function, method, path, payload in calls:
        reply = invoke(function, method, path, token=owner.token, body=payload)
        assert reply.status == 404, (path, reply.status, reply.body)
        assert reply.headers["content-type"] == "application/problem+json"
    bad = invoke(
        "documents",
        "POST",
        f"/v1/lessons/{nobody}/resources",
        token=owner.token,
        body={"document_id": "x"},
    )
    assert bad.status == 422 and {e["field"] for e in bad.body["errors"]} == {"document_id"}

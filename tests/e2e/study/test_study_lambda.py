"""Study end to end through the `study` Lambda handler: cards, reviews with an
Idempotency-Key, the queue, stats, and bad input named by field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import invoke
from tests.factories import new_account

PROBLEM = "application/problem+json"


def _card(token: str, **fields: Any) -> dict[str, Any]:
    body = {"type": "flashcard", "front": "What divides?", "back": "The cell", **fields}
    reply = invoke("study", "POST", "/v1/study/items", token=token, body=body)
    assert reply.status == 201, reply.body
    return reply.body


def test_a_card_is_made_reviewed_and_replayed_through_the_handler():
    learner = new_account()
    card = _card(learner.token, tags=["Cells"])
    assert (card["state"], card["tags"], card["reps"]) == ("new", ["cells"], 0)
    queue = invoke("study", "GET", "/v1/study/queue", token=learner.token)
    assert queue.status == 200 and [i["id"] for i in queue.body["items"]] == [card["id"]]

    path = f"/v1/study/items/{card['id']}/reviews"
    headers = {"Idempotency-Key": "tap-1"}
    first = invoke(
        "study", "POST", path, token=learner.token, body={"rating": "good"}, headers=headers
    )
    assert first.status == 201, first.body
    assert set(first.body) >= {"due", "state", "stability", "difficulty", "interval_days"}
    assert first.body["state"] == "learning" and 0 < first.body["interval_days"] < 1
    retry = invoke(
        "study", "POST", path, token=learner.token, body={"rating": "good"}, headers=headers
    )
    assert (retry.status, retry.body) == (201, first.body)
    other = invoke(
        "study", "POST", path, token=learner.token, body={"rating": "easy"}, headers=headers
    )
    assert other.status == 409 and other.headers["content-type"] == PROBLEM

    item = invoke("study", "GET", f"/v1/study/items/{card['id']}", token=learner.token)
    assert item.body["reps"] == 1 and item.body["due"] is not None
    stats = invoke("study", "GET", "/v1/study/stats", token=learner.token)
    assert stats.status == 200
    assert stats.body["reviewed_today"] == 1 and stats.body["streak_days"] == 1

    listed = invoke("study", "GET", "/v1/study/items", token=learner.token, query="type=flashcard")
    assert [i["id"] for i in listed.body["items"]] == [card["id"]]
    assert (
        invoke("study", "DELETE", f"/v1/study/items/{card['id']}", token=learner.token).status
        == 204
    )
    gone = invoke("study", "GET", f"/v1/study/items/{card['id']}", token=learner.token)
    assert gone.status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "quiz", "front": "Q", "back": "A"}, "type"),
        ({"type": "flashcard", "front": "Q"}, "back"),
        ({"type": "flashcard", "front": "   ", "back": "A"}, "front"),
        ({"type": "flashcard", "front": "Q" * 2001, "back": "A"}, "front"),
        ({"type": "note", "content": "x" * 20_001}, "content"),
        ({"type": "note", "content": "x", "tags": ["t"] * 21}, "tags"),
        ({"type": "note", "content": "x", "course_id": "nope"}, "course_id"),
        ({"type": "note", "content": "x", "state": "review"}, "state"),
        ({"type": "flashcard", "front": "Q", "back": "A", "due": "2020-01-01T00:00:00Z"}, "due"),
    ],
)
def test_bad_items_are_a_422_naming_the_field(body: dict[str, Any], field: str):
    learner = new_account()
    reply = invoke("study", "POST", "/v1/study/items", token=learner.token, body=body)
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == PROBLEM
    assert field in {e["field"] for e in reply.body["errors"]}, reply.body
    listed = invoke("study", "GET", "/v1/study/items", token=learner.token)
    assert listed.body["items"] == []


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        ({"rating": "perfect"}, {}, "rating"),
        ({}, {}, "rating"),
        ({"rating": "good", "reviewed_at": "2026-01-01T10:00:00"}, {}, "reviewed_at"),
        ({"rating": "good", "reviewed_at": "2999-01-01T10:00:00Z"}, {}, "reviewed_at"),
        ({"rating": "good", "client_id": "has space"}, {}, "client_id"),
        ({"rating": "good", "client_id": "a" * 129}, {}, "client_id"),
        ({"rating": "good", "duration_ms": -1}, {}, "duration_ms"),
        # Found by the fuzz run: numbers were read as Unix times, and coerced.
        ({"rating": "good", "reviewed_at": 1767268800}, {}, "reviewed_at"),
        ({"rating": "good", "reviewed_at": "1767268800"}, {}, "reviewed_at"),
        ({"rating": "good", "duration_ms": "1500"}, {}, "duration_ms"),
        ({"rating": "good"}, {"Idempotency-Key": "x" * 129}, "Idempotency-Key"),
        ({"rating": "good", "client_id": "a"}, {"Idempotency-Key": "b"}, "client_id"),
    ],
)
def test_bad_reviews_are_a_422_naming_the_field_and_review_nothing(
    body: dict[str, Any], headers: dict[str, str], field: str
):
    learner = new_account()
    card = _card(learner.token)
    reply = invoke(
        "study",
        "POST",
        f"/v1/study/items/{card['id']}/reviews",
        token=learner.token,
        body=body,
        headers=headers,
    )
    assert reply.status == 422, reply.body
    assert field in {e["field"] for e in reply.body["errors"]}, reply.body
    item = invoke("study", "GET", f"/v1/study/items/{card['id']}", token=learner.token)
    assert (item.body["reps"], item.body["state"]) == (0, "new")


def test_queue_limit_and_list_filters_are_checked():
    learner = new_account()
    for query, field in (
        ("limit=0", "limit"),
        ("limit=101", "limit"),
    ):
        reply = invoke("study", "GET", "/v1/study/queue", token=learner.token, query=query)
        assert reply.status == 422 and reply.body["errors"][0]["field"] == field
    for query, field in (
        ("type=quiz", "type"),
        ("due_before=yesterday", "due_before"),
        ("due_before=2026-01-01T00:00:00", "due_before"),
        # Found by the fuzz run: "0.5" was read as a Unix time (1970) and answered 200.
        ("due_before=0.5", "due_before"),
        ("cursor=nonsense", "cursor"),
    ):
        reply = invoke("study", "GET", "/v1/study/items", token=learner.token, query=query)
        assert reply.status == 422, (query, reply.body)
        assert reply.body["errors"][0]["field"] == field


def test_anonymous_callers_get_401():
    for method, path in (
        ("GET", "/v1/study/items"),
        ("POST", "/v1/study/items"),
        ("GET", "/v1/study/queue"),
        ("GET", "/v1/study/stats"),
    ):
        reply = invoke("study", method, path, body={} if method == "POST" else None)
        assert reply.status == 401, (method, path)


def _own_document(owner: Any) -> str:
    from lectern.db.engine import get_sessionmaker
    from tests.integration.ai.test_semantic_search import add_document_chunks
    from tests.integration.study.test_generate import MITOSIS

    with get_sessionmaker()() as db:
        document_id, _ = add_document_chunks(db, owner, MITOSIS)
    return str(document_id)


def test_cards_are_generated_from_the_learners_document():
    learner = new_account()
    document_id = _own_document(learner)
    reply = invoke(
        "study",
        "POST",
        "/v1/study/items/generate",
        token=learner.token,
        body={"document_id": document_id, "count": 3},
    )
    assert reply.status == 201, reply.body
    assert 1 <= len(reply.body["items"]) <= 3
    assert all(
        "[...]" in i["front"] and i["document_id"] == document_id for i in reply.body["items"]
    )
    usage = invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token)
    assert usage.body["requests"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 21}, "count"),
        ({"count": "5"}, "count"),
        ({}, "lesson_id"),
        ({"lesson_id": "not-an-id"}, "lesson_id"),
        ({"front": "Q"}, "front"),
    ],
)
def test_bad_generation_requests_are_a_422_naming_the_field(body: dict[str, Any], field: str):
    learner = new_account()
    document_id = _own_document(learner)
    if field in ("count", "front"):
        body = {"document_id": document_id, **body}
    reply = invoke("study", "POST", "/v1/study/items/generate", token=learner.token, body=body)
    assert reply.status == 422, reply.body
    assert field in {e["field"] for e in reply.body["errors"]}, reply.body
    both = {"document_id": document_id, "lesson_id": str(uuid.uuid4())}
    reply = invoke("study", "POST", "/v1/study/items/generate", token=learner.token, body=both)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "document_id"
    usage = invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token)
    assert usage.body["requests"] == 0


def test_a_bad_model_reply_is_a_502_problem_through_the_handler(monkeypatch: pytest.MonkeyPatch):
    import boto3
    from botocore.stub import Stubber

    from lectern.llm.bedrock import BedrockConverseLlm
    from lectern.study import generate
    from tests.integration.study.test_generate import HAIKU, tool_reply

    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    monkeypatch.setattr(
        generate, "get_llm", lambda: BedrockConverseLlm(HAIKU, region="x", client=client)
    )
    learner = new_account()
    document_id = _own_document(learner)
    with Stubber(client) as stub:
        stub.add_response("converse", tool_reply({"cards": [{"front": "Q", "back": "A"}]}))
        reply = invoke(
            "study",
            "POST",
            "/v1/study/items/generate",
            token=learner.token,
            body={"document_id": document_id},
        )
    assert reply.status == 502, reply.body
    assert reply.headers["content-type"] == PROBLEM
    assert reply.body["type"] == "urn:lectern:problem:bad-model-reply"
    listed = invoke("study", "GET", "/v1/study/items", token=learner.token)
    assert listed.body["items"] == []

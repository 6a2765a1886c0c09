"""Semantic search, ask and AI usage end to end through the `ai` Lambda handler."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from lectern.ai import service
from lectern.config import get_settings
from lectern.db.engine import get_sessionmaker
from lectern.errors import DependencyUnavailable
from lectern.llm.port import Answer
from tests.e2e.conftest import invoke
from tests.factories import new_account
from tests.integration.ai.test_semantic_search import add_document_chunks, tag

PROBLEM = "application/problem+json"


def _notes(owner, texts: list[str]) -> str:  # type: ignore[no-untyped-def]
    with get_sessionmaker()() as db:
        document_id, _ = add_document_chunks(db, owner, texts)
    return str(document_id)


def test_semantic_search_returns_the_callers_chunks_best_first():
    word = tag()
    owner, other = new_account(), new_account()
    mine = _notes(owner, [f"{word} the loop of henle concentrates urine", f"{word} kidneys"])
    theirs = _notes(other, [f"{word} the loop of henle concentrates urine"])

    reply = invoke(
        "ai",
        "POST",
        "/v1/search/semantic",
        body={"query": f"{word} loop of henle", "k": 5},
        token=owner.token,
    )
    assert reply.status == 200, reply.body
    hits = reply.body["hits"]
    assert hits and set(hits[0]) == {"chunk_id", "source_type", "source_id", "content", "score"}
    assert hits[0]["source_id"] == mine
    assert hits[0]["source_type"] == "document"
    assert "loop of henle" in hits[0]["content"]
    assert all(h["source_id"] != theirs for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({"query": "x" * 1001}, "query"),
        ({"query": "ok", "k": 0}, "k"),
        ({"query": "ok", "k": 51}, "k"),
        ({"query": "ok", "k": "5"}, "k"),
        ({"query": "ok", "course_id": "nope"}, "course_id"),
        ({"query": "ok", "owner_id": "x"}, "owner_id"),
    ],
)
def test_semantic_search_names_the_bad_field(body, field):  # type: ignore[no-untyped-def]
    reply = invoke("ai", "POST", "/v1/search/semantic", body=body, token=new_account().token)
    assert reply.status == 422
    assert reply.headers["content-type"] == PROBLEM
    assert field in {e["field"] for e in reply.body["errors"]}


def test_an_unknown_course_is_a_404_and_no_token_a_401():
    import uuid

    token = new_account().token
    course = str(uuid.uuid4())
    body = {"query": "anything", "course_id": course}
    missing = invoke("ai", "POST", "/v1/search/semantic", body=body, token=token)
    assert missing.status == 404
    assert missing.headers["content-type"] == PROBLEM
    body = {"question": "anything", "course_id": course}
    assert invoke("ai", "POST", "/v1/ai/ask", body=body, token=token).status == 404
    for method, path in (
        ("POST", "/v1/search/semantic"),
        ("POST", "/v1/ai/ask"),
        ("GET", "/v1/me/ai-usage"),
    ):
        assert invoke("ai", method, path, body={} if method == "POST" else None).status == 401


def test_ask_answers_with_citations_then_the_quota_runs_out(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(get_settings().ai.monthly_requests, "free", 2)
    word = tag()
    learner = new_account()
    document = _notes(
        learner,
        [f"{word} The thyroid gland makes thyroxine. Thyroxine raises the metabolic rate."],
    )

    reply = invoke(
        "ai",
        "POST",
        "/v1/ai/ask",
        body={"question": f"{word} What does thyroxine do?"},
        token=learner.token,
    )
    assert reply.status == 200, reply.body
    assert "Thyroxine raises the metabolic rate." in reply.body["answer"]
    assert "[1]" in reply.body["answer"]
    [citation] = reply.body["citations"]
    assert citation["source_type"] == "document"
    assert citation["source_id"] == document
    assert set(reply.body["usage"]) >= {"tokens", "input_tokens", "output_tokens", "cost_cents"}
    assert reply.body["usage"]["cost_cents"] == 0  # the local answerer costs nothing

    second = invoke("ai", "POST", "/v1/ai/ask", body={"question": "more?"}, token=learner.token)
    assert second.status == 200
    refused = invoke("ai", "POST", "/v1/ai/ask", body={"question": "more?"}, token=learner.token)
    assert refused.status == 429
    assert refused.headers["content-type"] == PROBLEM
    assert refused.body["type"] == "urn:lectern:problem:rate-limited"
    assert int(refused.headers["retry-after"]) > 0

    used = invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token)
    assert used.status == 200
    assert used.body["requests"] == 2
    assert used.body["limit"] == 2
    assert used.body["tokens"] == reply.body["usage"]["tokens"] + second.body["usage"]["tokens"]
    assert used.body["cost_cents"] == 0
    assert len(used.body["month"]) == 7


def test_a_model_outage_is_a_503_and_costs_no_quota(monkeypatch: pytest.MonkeyPatch):
    class Down:
        model = "anthropic.claude-3-haiku-20240307-v1:0"

        def answer(self, question: str, passages: Sequence[str]) -> Answer:
            raise DependencyUnavailable("llm", "test: throttled")

    monkeypatch.setattr(service, "get_llm", Down)
    learner = new_account()
    reply = invoke("ai", "POST", "/v1/ai/ask", body={"question": "hello?"}, token=learner.token)
    assert reply.status == 503
    assert reply.headers["content-type"] == PROBLEM
    assert reply.body["dependency"] == "llm"
    assert "throttled" not in str(reply.body)
    used = invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token)
    assert used.body["requests"] == 0


def test_question_length_is_checked():
    token = new_account().token
    reply = invoke("ai", "POST", "/v1/ai/ask", body={"question": "x" * 2001}, token=token)
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "question"


def test_ai_requests_are_throttled_per_learner_per_minute(settings_env: pytest.MonkeyPatch):
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_AI_REQUESTS_PER_MINUTE", "2")
    reset_clients()
    learner, other = new_account(), new_account()
    search = {"query": f"{tag()} anything"}
    for _ in range(2):
        reply = invoke("ai", "POST", "/v1/search/semantic", body=search, token=learner.token)
        assert reply.status == 200, reply.body
    refused = invoke("ai", "POST", "/v1/ai/ask", body={"question": "why?"}, token=learner.token)
    assert refused.status == 429
    assert int(refused.headers["retry-after"]) >= 1
    # The refused ask reserved no monthly quota; another learner has a minute of their own.
    used = invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token)
    assert used.body["requests"] == 0
    reply = invoke("ai", "POST", "/v1/search/semantic", body=search, token=other.token)
    assert reply.status == 200


def test_an_unverified_address_gets_only_the_trial_quota(monkeypatch: pytest.MonkeyPatch):
    """Finding: sign-ups are free, so the full AI quota of every new account could be
    farmed. Until the address is verified, the trial quota applies whatever the plan."""
    monkeypatch.setattr(get_settings().ai, "trial_monthly_requests", 2)
    learner = new_account(verified=False)
    asks = [
        invoke("ai", "POST", "/v1/ai/ask", body={"question": "why?"}, token=learner.token)
        for _ in range(3)
    ]
    assert [a.status for a in asks] == [200, 200, 429]
    assert asks[2].body["type"] == "urn:lectern:problem:rate-limited"
    usage = invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token).body
    assert usage["limit"] == 2 and usage["requests"] == 2
    verified = new_account()
    assert invoke("ai", "GET", "/v1/me/ai-usage", token=verified.token).body["limit"] == 50


def test_the_platform_spend_cap_stops_asks_for_the_month(monkeypatch: pytest.MonkeyPatch):
    """Finding: nothing capped what the whole platform spends on models in a month."""
    from decimal import Decimal

    from sqlalchemy import text

    from lectern.ai.usage import month_start

    class Priced:
        model = "anthropic.claude-3-haiku-20240307-v1:0"

        def answer(self, question: str, passages: Sequence[str]) -> Answer:
            return Answer("An answer.", (), 40_000, 8_000, self.model)  # 2 cents

    monkeypatch.setattr(service, "get_llm", Priced)
    with get_sessionmaker()() as db:
        spent = db.scalar(
            text("SELECT cost_cents FROM ai_spend_monthly WHERE month = :m"),
            {"m": month_start(datetime.now(UTC))},
        )
    # The cap sits one cent above what the platform spent so far this month.
    monkeypatch.setattr(get_settings().ai, "monthly_spend_cap_cents", int(Decimal(spent or 0)) + 1)
    learner = new_account()
    first = invoke("ai", "POST", "/v1/ai/ask", body={"question": "why?"}, token=learner.token)
    assert first.status == 200, first.body
    assert first.body["usage"]["cost_cents"] == 2
    refused = invoke("ai", "POST", "/v1/ai/ask", body={"question": "why?"}, token=learner.token)
    assert refused.status == 503
    assert refused.headers["content-type"] == PROBLEM
    assert refused.body["type"] == "urn:lectern:problem:budget-exhausted"
    assert int(refused.headers["retry-after"]) >= 1
    # The refused ask reserved nothing.
    assert invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token).body["requests"] == 1


# --- conversations ---


def test_a_chat_is_made_answered_read_listed_and_deleted_through_the_handler():
    from tests.integration.ai.test_chats import FIRST, FOLLOW_UP, METAPHASE, OTHER_STAGES, PROPHASE

    learner = new_account()
    _notes(learner, [PROPHASE, METAPHASE, *OTHER_STAGES])
    made = invoke("ai", "POST", "/v1/ai/chats", token=learner.token, body={})
    assert made.status == 201, made.body
    assert set(made.body) >= {"id", "title", "course_id", "created_at"}
    path = f"/v1/ai/chats/{made.body['id']}"
    for content in (FIRST, FOLLOW_UP):
        reply = invoke(
            "ai", "POST", f"{path}/messages", token=learner.token, body={"content": content}
        )
        assert reply.status == 201, reply.body
        assert reply.body["message"]["role"] == "assistant"
        assert reply.body["message"]["citations"] and reply.body["usage"]["tokens"] > 0
    assert "metaphase" in reply.body["message"]["content"]
    detail = invoke("ai", "GET", path, token=learner.token)
    assert detail.status == 200
    assert [m["role"] for m in detail.body["messages"]] == ["user", "assistant"] * 2
    assert detail.body["messages"][3]["citations"] == reply.body["message"]["citations"]
    listed = invoke("ai", "GET", "/v1/me/ai/chats", token=learner.token)
    assert [c["id"] for c in listed.body["items"]] == [made.body["id"]]
    assert "messages" not in listed.body["items"][0]
    assert invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token).body["requests"] == 2
    assert invoke("ai", "DELETE", path, token=learner.token).status == 204
    assert invoke("ai", "GET", path, token=learner.token).status == 404


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/ai/chats", {"title": "x" * 201}, "title"),
        ("/v1/ai/chats", {"title": "  "}, "title"),
        ("/v1/ai/chats", {"course_id": "nope"}, "course_id"),
        ("/v1/ai/chats", {"messages": []}, "messages"),
        ("{chat}/messages", {"content": ""}, "content"),
        ("{chat}/messages", {"content": "x" * 4001}, "content"),
        ("{chat}/messages", {}, "content"),
        ("{chat}/messages", {"content": "hi", "role": "assistant"}, "role"),
    ],
)
def test_bad_chat_input_is_a_422_naming_the_field(path: str, body: dict, field: str):
    learner = new_account()
    chat = invoke("ai", "POST", "/v1/ai/chats", token=learner.token, body={}).body
    reply = invoke(
        "ai", "POST", path.format(chat=f"/v1/ai/chats/{chat['id']}"), token=learner.token, body=body
    )
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == PROBLEM
    assert field in {e["field"] for e in reply.body["errors"]}, reply.body
    assert invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token).body["requests"] == 0


def test_a_full_conversation_is_a_422_naming_messages(settings_env):
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_AI_CHAT_MAX_MESSAGES", "2")
    reset_clients()
    learner = new_account()
    chat = invoke("ai", "POST", "/v1/ai/chats", token=learner.token, body={}).body
    path = f"/v1/ai/chats/{chat['id']}/messages"
    assert invoke("ai", "POST", path, token=learner.token, body={"content": "a?"}).status == 201
    reply = invoke("ai", "POST", path, token=learner.token, body={"content": "b?"})
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "messages"
    assert invoke("ai", "GET", "/v1/me/ai-usage", token=learner.token).body["requests"] == 1

"""Asking with citations, and the monthly AI quota against the real Postgres: reserved
atomically under concurrency, given back when the model fails, and summed from the rows."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lectern.ai import service, usage
from lectern.ai.models import AiUsage, AiUsageMonthly
from lectern.ai.schemas import AskIn
from lectern.config import get_settings
from lectern.db.engine import get_sessionmaker
from lectern.errors import DependencyUnavailable, NotFound, RateLimited
from lectern.identity.models import Profile
from lectern.llm.bedrock import BedrockConverseLlm
from lectern.llm.port import Answer
from tests.factories import Account, make_account, make_course
from tests.integration.ai.test_semantic_search import (
    add_document_chunks,
    add_lesson_chunks,
    enroll,
    tag,
)

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


class FixedLlm:
    """An answerer with known token counts, citing every passage it was given."""

    def __init__(self, model: str = HAIKU, input_tokens: int = 2000, output_tokens: int = 400):
        self.model = model
        self.tokens = (input_tokens, output_tokens)

    def answer(self, question: str, passages: Sequence[str]) -> Answer:
        return Answer("An answer [1].", tuple(range(len(passages))), *self.tokens, self.model)


class DownLlm:
    model = HAIKU

    def answer(self, question: str, passages: Sequence[str]) -> Answer:
        raise DependencyUnavailable("llm", "test: the model is down")


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Set the free plan's monthly limit for one test."""

    def set_limit(value: int) -> None:
        monkeypatch.setitem(get_settings().ai.monthly_requests, "free", value)

    return set_limit


def _monthly(db: Session, user_id: uuid.UUID) -> AiUsageMonthly | None:
    db.expire_all()
    month = usage.month_start(datetime.now(UTC))
    return db.get(AiUsageMonthly, (user_id, month))


def _ask(db: Session, who: Account, question: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    return service.ask(db, who.principal, AskIn(question=question, **kwargs))  # type: ignore[arg-type]


def test_concurrent_asks_never_pass_the_limit(db: Session, limit):
    limit(5)
    learner = make_account(db)
    add_document_chunks(db, learner, [f"{tag()} the aorta carries oxygenated blood"])
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def one() -> None:
        with get_sessionmaker()() as session:
            start.wait()
            try:
                _ask(session, learner, "What does the aorta carry?")
                outcomes.append("ok")
            except RateLimited as exc:
                assert exc.retry_after_seconds > 0
                outcomes.append("limited")

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["limited"] * 7 + ["ok"] * 5
    monthly = _monthly(db, learner.id)
    assert monthly is not None
    assert monthly.requests == 5
    assert db.scalar(select(func.count()).where(AiUsage.user_id == learner.id)) == 5


def test_usage_rows_sum_to_the_monthly_row_and_are_priced(db: Session, limit, monkeypatch):
    limit(10)
    learner = make_account(db)
    add_document_chunks(db, learner, [f"{tag()} insulin lowers blood glucose"])
    monkeypatch.setattr(service, "get_llm", lambda: FixedLlm(input_tokens=2000, output_tokens=400))
    out = _ask(db, learner, "What does insulin do?")
    # Haiku: 0.025 cents per 1k input tokens, 0.125 per 1k output.
    assert out.usage.tokens == 2400
    assert out.usage.cost_cents == pytest.approx(0.1)
    monkeypatch.setattr(service, "get_llm", lambda: FixedLlm(input_tokens=123, output_tokens=45))
    _ask(db, learner, "And glucagon?")
    monkeypatch.setattr(service, "get_llm", lambda: FixedLlm("local-extractive", 10, 5))
    _ask(db, learner, "Anything else?")

    monthly = _monthly(db, learner.id)
    assert monthly is not None
    rows = db.execute(
        select(
            func.count(),
            func.sum(AiUsage.input_tokens + AiUsage.output_tokens),
            func.sum(AiUsage.cost_cents),
        ).where(AiUsage.user_id == learner.id, AiUsage.month == monthly.month)
    ).one()
    assert (monthly.requests, monthly.tokens, monthly.cost_cents) == tuple(rows)
    assert monthly.tokens == 2400 + 168 + 15
    assert monthly.cost_cents == Decimal("0.1") + usage.cost_cents(HAIKU, 123, 45)

    summary = service.ai_usage(db, learner.principal)  # type: ignore[arg-type]
    assert summary.month == monthly.month.strftime("%Y-%m")
    assert (summary.requests, summary.tokens, summary.limit) == (3, 2583, 10)
    assert summary.cost_cents == pytest.approx(float(monthly.cost_cents))


def test_citations_point_only_at_chunks_the_caller_may_see(db: Session):
    word = tag()
    author = make_account(db, "instructor")
    learner, other = make_account(db), make_account(db)
    enrolled_course, [enrolled_lesson] = make_course(db, author, lessons=1)
    _, [closed_lesson] = make_course(db, author, lessons=1)
    enroll(db, learner, enrolled_course.id)
    visible = set(add_lesson_chunks(db, enrolled_lesson, [f"{word} osmosis moves water"]))
    _, mine = add_document_chunks(db, learner, [f"{word} osmosis needs a membrane"])
    visible |= set(mine)
    add_lesson_chunks(db, closed_lesson, [f"{word} osmosis moves water across membranes"])
    add_document_chunks(db, other, [f"{word} osmosis moves water, osmosis everywhere"] * 5)

    out = _ask(db, learner, f"{word} how does osmosis move water?")
    assert out.citations
    assert {c.chunk_id for c in out.citations} <= visible
    assert "osmosis" in out.answer.lower()
    for citation in out.citations:
        assert citation.source_type.value in ("lesson", "document")


def test_a_hidden_course_is_a_404_and_spends_no_quota(db: Session, limit):
    limit(3)
    author, learner = make_account(db, "instructor"), make_account(db)
    draft, _ = make_course(db, author, published=False)
    with pytest.raises(NotFound):
        _ask(db, learner, "anything?", course_id=draft.id)
    db.rollback()
    assert _monthly(db, learner.id) is None


def test_a_model_failure_gives_the_reservation_back(db: Session, limit, monkeypatch):
    limit(3)
    learner = make_account(db)
    add_document_chunks(db, learner, [f"{tag()} neurons fire action potentials"])
    _ask(db, learner, "Do neurons fire?")
    monkeypatch.setattr(service, "get_llm", DownLlm)
    with pytest.raises(DependencyUnavailable):
        _ask(db, learner, "Do neurons fire?")
    monthly = _monthly(db, learner.id)
    assert monthly is not None
    assert monthly.requests == 1
    assert db.scalar(select(func.count()).where(AiUsage.user_id == learner.id)) == 1


def test_an_embedder_outage_is_a_503_and_released(db: Session, limit, monkeypatch):
    from lectern.ai import retrieval
    from lectern.embeddings.local import LocalEmbedder

    class DownEmbedder(LocalEmbedder):
        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            raise DependencyUnavailable("embeddings", "test: provider down")

    limit(3)
    learner = make_account(db)
    monkeypatch.setattr(retrieval, "get_embedder", lambda: DownEmbedder(256))
    with pytest.raises(DependencyUnavailable) as caught:
        _ask(db, learner, "Anything?")
    assert caught.value.dependency == "embeddings"
    monthly = _monthly(db, learner.id)
    assert monthly is not None
    assert monthly.requests == 0


def test_bedrock_throttling_through_the_real_adapter_is_a_503_and_released(
    db: Session, limit, monkeypatch
):
    import boto3
    from botocore.stub import Stubber

    limit(3)
    learner = make_account(db)
    add_document_chunks(db, learner, [f"{tag()} the liver stores glycogen"])
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    monkeypatch.setattr(
        service, "get_llm", lambda: BedrockConverseLlm(HAIKU, region="x", client=client)
    )
    with Stubber(client) as stub:
        stub.add_client_error("converse", "ThrottlingException", http_status_code=429)
        with pytest.raises(DependencyUnavailable) as caught:
            _ask(db, learner, "Where is glycogen stored?")
    assert caught.value.dependency == "llm"
    monthly = _monthly(db, learner.id)
    assert monthly is not None
    assert monthly.requests == 0


def test_the_plan_sets_the_limit_and_past_months_do_not_count(db: Session, limit):
    limit(1)
    learner = make_account(db)
    last_month = date(2020, 1, 1)
    db.add(AiUsageMonthly(user_id=learner.id, month=last_month, requests=1))
    db.commit()
    _ask(db, learner, "first question?")
    with pytest.raises(RateLimited) as caught:
        _ask(db, learner, "second question?")
    assert 0 < caught.value.retry_after_seconds <= 31 * 86400
    db.rollback()
    db.execute(update(Profile).where(Profile.user_id == learner.id).values(plan="pro"))
    db.commit()
    _ask(db, learner, "now on pro?")
    monthly = _monthly(db, learner.id)
    assert monthly is not None
    assert monthly.requests == 2
    pro_limit = get_settings().ai.monthly_requests["pro"]
    assert service.ai_usage(db, learner.principal).limit == pro_limit  # type: ignore[arg-type]


def test_a_zero_limit_refuses_the_first_request(db: Session, limit):
    limit(0)
    learner = make_account(db)
    with pytest.raises(RateLimited):
        _ask(db, learner, "anything?")
    db.rollback()
    monthly = _monthly(db, learner.id)
    assert monthly is None or monthly.requests == 0


def test_months_and_prices():
    assert usage.month_start(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == date(2026, 12, 1)
    assert usage.seconds_to_next_month(datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC)) == 31
    assert usage.cost_cents("us." + HAIKU, 1000, 1000) == Decimal("0.15")
    assert usage.cost_cents("local-extractive", 10**6, 10**6) == 0
    assert usage.cost_cents("some-unpriced-model", 1000, 1000) == 0


def test_no_ai_usage_yet_reads_as_zero(db: Session):
    learner = make_account(db)
    summary = service.ai_usage(db, learner.principal)  # type: ignore[arg-type]
    assert (summary.requests, summary.tokens, summary.cost_cents) == (0, 0, 0.0)
    assert summary.limit == get_settings().ai.monthly_requests["free"]
    assert summary.month == datetime.now(UTC).strftime("%Y-%m")

"""Semantic search, answers with citations, and the caller's AI usage."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from lectern.ai import retrieval, usage
from lectern.ai.schemas import (
    AiUsageOut,
    AskIn,
    AskOut,
    AskUsage,
    Citation,
    SemanticHit,
    SemanticSearchIn,
    SemanticSearchOut,
)
from lectern.catalog import access
from lectern.core.principal import Principal
from lectern.embeddings.factory import get_embedder
from lectern.embeddings.registry import ensure_model
from lectern.llm.factory import get_llm
from lectern.observability import count

# Passages an answer is drawn from: enough to cover a question, few enough to read.
ASK_PASSAGES = 6


def semantic_search(db: Session, principal: Principal, data: SemanticSearchIn) -> SemanticSearchOut:
    hits = retrieval.search_chunks(db, principal, data.query, k=data.k, course_id=data.course_id)
    return SemanticSearchOut(
        hits=[
            SemanticHit(
                chunk_id=h.chunk_id,
                source_type=h.source_type,
                source_id=h.source_id,
                content=h.content,
                score=round(h.score, 6),
            )
            for h in hits
        ]
    )


def ask(db: Session, principal: Principal, data: AskIn) -> AskOut:
    """Reserve quota, retrieve the visible passages, answer with citations, record usage.

    A course the caller cannot see is a 404 before any quota is spent; a failure after
    the reservation (embedder or model down) gives it back and leaves as a 503.
    """
    # The registry takes its own connection: do it before the session holds one.
    ensure_model(get_embedder())
    if data.course_id is not None:
        access.course_for_view(db, principal, data.course_id)
    now = datetime.now(UTC)
    usage.check_spend_cap(db, now)
    limit = usage.monthly_limit(db, principal.user_id)
    month = usage.reserve(db, principal.user_id, limit=limit, now=now)
    db.commit()
    try:
        hits = retrieval.search_chunks(
            db, principal, data.question, k=ASK_PASSAGES, course_id=data.course_id
        )
        # End the read before the model's seconds-long call: no idle open transaction.
        db.commit()
        answer = get_llm().answer(data.question, [h.content for h in hits])
    except BaseException:
        usage.release_quietly(db, principal.user_id, month)
        raise
    cost = usage.record(db, principal.user_id, month, answer, kind="ask")
    db.commit()
    count("AiAnswered")
    citations: list[Citation] = []
    for index in answer.cited:
        if 0 <= index < len(hits):
            hit = hits[index]
            citations.append(
                Citation(
                    source_type=hit.source_type, source_id=hit.source_id, chunk_id=hit.chunk_id
                )
            )
    return AskOut(
        answer=answer.text,
        citations=citations,
        usage=AskUsage(
            tokens=answer.input_tokens + answer.output_tokens,
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            cost_cents=float(cost),
        ),
    )


def ai_usage(db: Session, principal: Principal) -> AiUsageOut:
    current = usage.month_usage(db, principal.user_id, datetime.now(UTC))
    return AiUsageOut(
        month=current.month.strftime("%Y-%m"),
        requests=current.requests,
        tokens=current.tokens,
        cost_cents=float(current.cost_cents),
        limit=current.limit,
    )

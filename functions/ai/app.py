"""Function `ai`: semantic search over visible chunks, answers with citations, AI usage."""

from __future__ import annotations

from fastapi import APIRouter

from lectern.ai import service
from lectern.ai.schemas import AiUsageOut, AskIn, AskOut, SemanticSearchIn, SemanticSearchOut
from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession

router = APIRouter(prefix="/v1", tags=["ai"])


@router.post("/search/semantic")
def semantic_search(
    body: SemanticSearchIn, principal: CurrentPrincipal, db: DbSession
) -> SemanticSearchOut:
    return service.semantic_search(db, principal, body)


@router.post("/ai/ask", responses={429: {"description": "The plan's monthly quota is used up"}})
def ask(body: AskIn, principal: CurrentPrincipal, db: DbSession) -> AskOut:
    return service.ask(db, principal, body)


@router.get("/me/ai-usage")
def ai_usage(principal: CurrentPrincipal, db: DbSession) -> AiUsageOut:
    return service.ai_usage(db, principal)


app = create_app(router, title="Lectern AI")
handler = lambda_handler(app)

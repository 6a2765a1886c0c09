"""Function `ai`: semantic search over visible chunks, answers with citations, AI usage."""

from __future__ import annotations

from fastapi import APIRouter

from lectern.ai import service
from lectern.ai.schemas import AiUsageOut, AskIn, AskOut, SemanticSearchIn, SemanticSearchOut
from lectern.ai.throttle import check_ai_requests
from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession

router = APIRouter(prefix="/v1", tags=["ai"])


THROTTLED = {429: {"description": "Too many AI requests this minute"}}


@router.post("/search/semantic", responses=THROTTLED)
def semantic_search(
    body: SemanticSearchIn, principal: CurrentPrincipal, db: DbSession
) -> SemanticSearchOut:
    check_ai_requests(str(principal.user_id))
    return service.semantic_search(db, principal, body)


@router.post(
    "/ai/ask",
    responses={429: {"description": "Monthly quota used up, or too many this minute"}},
)
def ask(body: AskIn, principal: CurrentPrincipal, db: DbSession) -> AskOut:
    check_ai_requests(str(principal.user_id))
    return service.ask(db, principal, body)


@router.get("/me/ai-usage")
def ai_usage(principal: CurrentPrincipal, db: DbSession) -> AiUsageOut:
    return service.ai_usage(db, principal)


app = create_app(router, title="Lectern AI")
handler = lambda_handler(app)

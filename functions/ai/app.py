"""Function `ai`: semantic search over visible chunks, answers with citations, chats
answered in context, AI usage."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid

from fastapi import APIRouter, Response, status

from lectern.ai import chats, service
from lectern.ai.schemas import (
    AiUsageOut,
    AskIn,
    AskOut,
    ChatDetailOut,
    ChatIn,
    ChatOut,
    MessageIn,
    MessageOut,
    SemanticSearchIn,
    SemanticSearchOut,
)
from lectern.ai.throttle import check_ai_requests
from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.core.pagination import DEFAULT_PAGE_SIZE, Page

router = APIRouter(prefix="/v1", tags=["ai"], responses=problems(401, 422, 503))


THROTTLED = {429: {"description": "Too many AI requests this minute"}}


@router.post("/search/semantic", responses={**problems(404), **THROTTLED})
def semantic_search(
    body: SemanticSearchIn, principal: CurrentPrincipal, db: DbSession
) -> SemanticSearchOut:
    check_ai_requests(str(principal.user_id))
    return service.semantic_search(db, principal, body)


@router.post(
    "/ai/ask",
    responses={
        **problems(404),
        429: {"description": "Monthly quota used up, or too many this minute"},
    },
)
def ask(body: AskIn, principal: CurrentPrincipal, db: DbSession) -> AskOut:
    check_ai_requests(str(principal.user_id))
    return service.ask(db, principal, body)


@router.get("/me/ai-usage")
def ai_usage(principal: CurrentPrincipal, db: DbSession) -> AiUsageOut:
    return service.ai_usage(db, principal)


_CHAT_NOT_FOUND = {404: {"description": "No such chat, or not the caller's."}}


@router.post(
    "/ai/chats",
    status_code=status.HTTP_201_CREATED,
    responses={404: {"description": "The course does not exist or the caller cannot see it."}},
)
def create_chat(body: ChatIn, principal: CurrentPrincipal, db: DbSession) -> ChatOut:
    return chats.create_chat(db, principal, body)


@router.get("/me/ai/chats")
def list_chats(
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[ChatOut]:
    return chats.list_chats(db, principal, limit=limit, cursor=cursor)


@router.get("/ai/chats/{id}", responses=_CHAT_NOT_FOUND)
def get_chat(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ChatDetailOut:
    return chats.get_chat(db, principal, id)


@router.delete("/ai/chats/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=_CHAT_NOT_FOUND)
def delete_chat(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    chats.delete_chat(db, principal, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/ai/chats/{id}/messages",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_CHAT_NOT_FOUND,
        422: {"description": "A message too long, or a conversation at its length limit."},
        429: {"description": "Monthly quota used up, or too many this minute"},
    },
)
def send_message(
    id: uuid.UUID, body: MessageIn, principal: CurrentPrincipal, db: DbSession
) -> MessageOut:
    check_ai_requests(str(principal.user_id))
    return chats.send_message(db, principal, id, body)


app = create_app(router, title="Lectern AI")
handler = lambda_handler(app)

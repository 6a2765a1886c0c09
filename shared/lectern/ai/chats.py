"""Conversations: a learner's chats, answered in context, under the ask quota.

A follow-up is read with the conversation so far, twice over:

- retrieval searches with the new message's embedding plus the chat's running context
  vector (the learner's earlier messages, each older one counting half as much as the
  one after it), at equal weight: "and after that stage?" then finds the passages of the
  stage being discussed. One embedding call a turn; the vector is kept on the chat;
- the model receives the last turns, newest first, within ``chat_history_tokens``.

A message is one AI request: reserved before the embedder and the model are called,
given back if either fails (nothing is stored then: the learner retries the message),
and recorded with its tokens and cost. Both messages are written in one transaction
whose counter update numbers them and enforces the conversation's length, so two
messages sent at once to one chat cannot pass the limit or share a position.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lectern.ai import retrieval, usage
from lectern.ai.models import AiChat, AiChatMessage
from lectern.ai.roles import ChatRole
from lectern.ai.schemas import (
    AskUsage,
    ChatDetailOut,
    ChatIn,
    ChatMessageOut,
    ChatOut,
    Citation,
    MessageIn,
    MessageOut,
)
from lectern.catalog import access
from lectern.config import get_settings
from lectern.core.pagination import Page, keyset_page
from lectern.core.principal import Principal
from lectern.embeddings.factory import get_embedder
from lectern.embeddings.port import normalize
from lectern.embeddings.registry import ensure_model
from lectern.errors import InvalidField, NotFound
from lectern.llm.factory import get_llm
from lectern.llm.port import Turn, estimate_tokens
from lectern.observability import count

CHAT_NOT_FOUND = "No such chat."
# Passages an answer is drawn from, as for an ask.
CHAT_PASSAGES = 6
# The running context: an earlier message counts this much of the one after it.
CONTEXT_DECAY = 0.5
# The context's weight beside the new message in the query.
CONTEXT_WEIGHT = 1.0
# Earlier messages read for the model's history (the token budget usually stops first).
HISTORY_MESSAGES = 20
TITLE_CHARS = 80


def _own_chat(db: Session, principal: Principal, chat_id: uuid.UUID) -> AiChat:
    chat = db.scalar(
        select(AiChat).where(AiChat.id == chat_id, AiChat.user_id == principal.user_id)
    )
    if chat is None:
        raise NotFound(CHAT_NOT_FOUND)
    return chat


def create_chat(db: Session, principal: Principal, data: ChatIn) -> ChatOut:
    if data.course_id is not None:
        access.course_for_view(db, principal, data.course_id)
    chat = AiChat(user_id=principal.user_id, title=data.title, course_id=data.course_id)
    db.add(chat)
    db.commit()
    return ChatOut.model_validate(chat)


def list_chats(
    db: Session, principal: Principal, *, limit: int, cursor: str | None
) -> Page[ChatOut]:
    return keyset_page(
        db,
        select(AiChat).where(AiChat.user_id == principal.user_id),
        AiChat.created_at,
        AiChat.id,
        limit=limit,
        cursor=cursor,
        out=ChatOut.model_validate,
    )


def _message_out(message: AiChatMessage) -> ChatMessageOut:
    return ChatMessageOut(
        role=message.role,
        content=message.content,
        citations=[Citation.model_validate(c) for c in message.citations],
        created_at=message.created_at,
    )


def get_chat(db: Session, principal: Principal, chat_id: uuid.UUID) -> ChatDetailOut:
    chat = _own_chat(db, principal, chat_id)
    messages = db.scalars(
        select(AiChatMessage)
        .where(AiChatMessage.chat_id == chat.id)
        .order_by(AiChatMessage.position)
    )
    return ChatDetailOut(
        **ChatOut.model_validate(chat).model_dump(),
        messages=[_message_out(m) for m in messages],
    )


def delete_chat(db: Session, principal: Principal, chat_id: uuid.UUID) -> None:
    """The chat goes with its messages; usage rows stay (they are what was spent)."""
    db.delete(_own_chat(db, principal, chat_id))
    db.commit()


def history(db: Session, chat_id: uuid.UUID, budget: int) -> list[Turn]:
    """The last turns, oldest first, within ``budget`` tokens, starting with a user turn
    (what Converse requires)."""
    rows = db.execute(
        select(AiChatMessage.role, AiChatMessage.content)
        .where(AiChatMessage.chat_id == chat_id)
        .order_by(AiChatMessage.position.desc())
        .limit(HISTORY_MESSAGES)
    ).all()
    turns: list[Turn] = []
    spent = 0
    for row in rows:
        spent += estimate_tokens(row.content)
        if spent > budget:
            break
        turns.append(Turn(row.role.value, row.content))
    turns.reverse()
    while turns and turns[0].role != "user":
        turns.pop(0)
    return turns


def _mix(vector: Sequence[float], context: Sequence[float] | None, weight: float) -> list[float]:
    if context is None or len(context) != len(vector):
        return list(vector)
    return normalize([v + weight * c for v, c in zip(vector, context, strict=True)])


def _store(
    db: Session,
    principal: Principal,
    chat: AiChat,
    *,
    message: str,
    answer_text: str,
    citations: list[dict[str, Any]],
    context: list[float],
    model_id: int,
    metered: usage.Metered,
    at: datetime,
) -> int:
    """Number and write both messages; the counter update refuses a full conversation.
    Returns the user message's position (the answer's is the next)."""
    limit = get_settings().ai.chat_max_messages
    total = db.scalar(
        text(
            "UPDATE ai_chats SET message_count = message_count + 2,"
            " context_vector = :context, context_model_id = :model,"
            " title = COALESCE(title, :title), updated_at = now()"
            " WHERE id = :id AND user_id = :me AND message_count + 2 <= :limit"
            " RETURNING message_count"
        ),
        {
            "context": context,
            "model": model_id,
            "title": message[:TITLE_CHARS],
            "id": chat.id,
            "me": principal.user_id,
            "limit": limit,
        },
    )
    if total is None:
        raise _full(limit)
    first = int(total) - 2
    db.add_all(
        [
            AiChatMessage(
                chat_id=chat.id,
                user_id=principal.user_id,
                position=first,
                role=ChatRole.user,
                content=message,
                created_at=at,
            ),
            AiChatMessage(
                chat_id=chat.id,
                user_id=principal.user_id,
                position=first + 1,
                role=ChatRole.assistant,
                content=answer_text,
                citations=citations,
                model=metered.model,
                input_tokens=metered.input_tokens,
                output_tokens=metered.output_tokens,
                created_at=at,
            ),
        ]
    )
    return first


def _full(limit: int) -> InvalidField:
    return InvalidField(
        "messages", f"a conversation holds at most {limit} messages; start a new chat"
    )


def send_message(
    db: Session, principal: Principal, chat_id: uuid.UUID, data: MessageIn
) -> MessageOut:
    embedder = get_embedder()
    # The registry takes its own connection: do it before the session holds one.
    model_id = ensure_model(embedder)
    settings = get_settings().ai
    chat = _own_chat(db, principal, chat_id)
    if chat.message_count + 2 > settings.chat_max_messages:
        raise _full(settings.chat_max_messages)
    turns = history(db, chat.id, settings.chat_history_tokens)
    context = chat.context_vector if chat.context_model_id == model_id else None
    now = datetime.now(UTC)
    usage.check_spend_cap(db, now)
    month = usage.reserve(
        db, principal.user_id, limit=usage.monthly_limit(db, principal.user_id), now=now
    )
    db.commit()
    try:
        [vector] = embedder.embed([data.content])
        hits = retrieval.search_chunks(
            db,
            principal,
            data.content,
            k=CHAT_PASSAGES,
            course_id=chat.course_id,
            vector=_mix(vector, context, CONTEXT_WEIGHT),
        )
        # End the read before the model's seconds-long call: no idle open transaction.
        db.commit()
        answer = get_llm().converse(turns, data.content, [h.content for h in hits])
    except BaseException:
        usage.release_quietly(db, principal.user_id, month)
        raise
    citations = [
        Citation(
            source_type=hits[i].source_type, source_id=hits[i].source_id, chunk_id=hits[i].chunk_id
        )
        for i in answer.cited
        if 0 <= i < len(hits)
    ]
    try:
        _store(
            db,
            principal,
            chat,
            message=data.content,
            answer_text=answer.text,
            citations=[c.model_dump(mode="json") for c in citations],
            # The next turn's context: this message, then the earlier ones fading.
            context=_mix(vector, context, CONTEXT_DECAY),
            model_id=model_id,
            metered=answer,
            at=now,
        )
    except InvalidField:
        # Filled (or deleted) while the model answered: nothing stored, nothing spent.
        usage.release_quietly(db, principal.user_id, month)
        if db.scalar(select(AiChat.id).where(AiChat.id == chat_id)) is None:
            raise NotFound(CHAT_NOT_FOUND) from None
        raise
    cost = usage.record(db, principal.user_id, month, answer, kind="chat")
    db.commit()
    count("AiChatAnswered")
    return MessageOut(
        message=ChatMessageOut(
            role=ChatRole.assistant, content=answer.text, citations=citations, created_at=now
        ),
        usage=AskUsage(
            tokens=answer.input_tokens + answer.output_tokens,
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            cost_cents=float(cost),
        ),
    )

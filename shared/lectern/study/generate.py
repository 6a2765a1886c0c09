"""Flashcards drawn from a lesson's or the learner's own document's chunks by the LLM port.

One generation is one AI request: it is reserved against the monthly quota (and the
platform's spend cap) before the model is called, given back when the call fails or
the reply is not the asked-for shape (a 502, nothing stored), and recorded with its
tokens and cost when cards are stored. The cards are stored in one transaction with the
usage row. A card whose front the learner already has from the same source is skipped,
so asking twice does not double the deck.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from lectern.ai import usage
from lectern.ai.schemas import AskUsage
from lectern.catalog import access as catalog_access
from lectern.core.principal import Principal
from lectern.documents.models import Chunk, Document, DocumentStatus
from lectern.documents.sources import ChunkSource
from lectern.errors import Conflict, InvalidField, NotFound
from lectern.llm.factory import get_llm
from lectern.observability import count
from lectern.study import scheduling
from lectern.study.items import out, set_schedule
from lectern.study.models import ItemType, StudyItem
from lectern.study.schemas import GenerateIn, GenerateOut

# Passages one generation reads: about 4,000 words, spread over the whole source.
MAX_PASSAGES = 24
DOCUMENT_NOT_FOUND = "No such document."


@dataclass(frozen=True)
class _Source:
    course_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    document_id: uuid.UUID | None
    chunk_ids: list[uuid.UUID]
    passages: list[str]


def spread(count: int, most: int) -> list[int]:
    """``most`` indexes spread evenly over ``range(count)`` (all of them if fewer)."""
    if count <= most:
        return list(range(count))
    return [i * count // most for i in range(most)]


def _chunks(db: Session, *where: object) -> tuple[list[uuid.UUID], list[str]]:
    # One row per position: the newest model's, when a re-embed left two.
    rows = db.execute(
        select(Chunk.id, Chunk.content)
        .where(*where)  # type: ignore[arg-type]
        .ext(distinct_on(Chunk.position))
        .order_by(Chunk.position, Chunk.model_id.desc())
    ).all()
    chosen = [rows[i] for i in spread(len(rows), MAX_PASSAGES)]
    return [r.id for r in chosen], [r.content for r in chosen]


def _source(db: Session, principal: Principal, data: GenerateIn) -> _Source:
    if data.lesson_id is not None and data.document_id is not None:
        raise InvalidField("document_id", "send lesson_id or document_id, not both")
    if data.lesson_id is not None:
        lesson, course = catalog_access.lesson_for_view(db, principal, data.lesson_id)
        ids, passages = _chunks(
            db, Chunk.source_type == ChunkSource.lesson, Chunk.lesson_id == lesson.id
        )
        return _Source(course.id, lesson.id, None, ids, passages)
    if data.document_id is None:
        raise InvalidField("lesson_id", "send lesson_id or document_id")
    # The learner's own document only: not even admins draw from someone else's.
    document = db.scalar(
        select(Document).where(
            Document.id == data.document_id, Document.owner_id == principal.user_id
        )
    )
    if document is None:
        raise NotFound(DOCUMENT_NOT_FOUND)
    if document.status != DocumentStatus.ready:
        raise Conflict("The document is not processed yet; try again once it is ready.")
    ids, passages = _chunks(db, Chunk.document_id == document.id)
    return _Source(document.course_id, None, document.id, ids, passages)


def _known_fronts(db: Session, principal: Principal, source: _Source) -> set[str]:
    stmt = select(StudyItem.front).where(StudyItem.user_id == principal.user_id)
    if source.lesson_id is not None:
        stmt = stmt.where(StudyItem.lesson_id == source.lesson_id)
    else:
        stmt = stmt.where(StudyItem.document_id == source.document_id)
    return {front for front in db.scalars(stmt) if front is not None}


def generate(db: Session, principal: Principal, data: GenerateIn) -> GenerateOut:
    source = _source(db, principal, data)
    if not source.passages:
        raise Conflict("There is no text to draw cards from yet.")
    now = datetime.now(UTC)
    usage.check_spend_cap(db, now)
    month = usage.reserve(
        db, principal.user_id, limit=usage.monthly_limit(db, principal.user_id), now=now
    )
    # End the transaction before the model's seconds-long call.
    db.commit()
    try:
        cards = get_llm().make_cards(source.passages, data.count)
    except BaseException:
        usage.release_quietly(db, principal.user_id, month)
        raise
    known = _known_fronts(db, principal, source)
    made: list[StudyItem] = []
    for card in cards.cards[: data.count]:
        if card.front in known:
            continue
        known.add(card.front)
        item = StudyItem(
            user_id=principal.user_id,
            type=ItemType.flashcard,
            front=card.front,
            back=card.back,
            course_id=source.course_id,
            lesson_id=source.lesson_id,
            document_id=source.document_id,
            source_chunk_id=source.chunk_ids[card.passage],
            generated_by=cards.model,
        )
        set_schedule(item, scheduling.new_card(now))
        made.append(item)
    db.add_all(made)
    cost = usage.record(db, principal.user_id, month, cards, kind="generate")
    db.commit()
    count("StudyCardsGenerated", len(made))
    return GenerateOut(
        items=[out(item, now) for item in made],
        usage=AskUsage(
            tokens=cards.input_tokens + cards.output_tokens,
            input_tokens=cards.input_tokens,
            output_tokens=cards.output_tokens,
            cost_cents=float(cost),
        ),
    )

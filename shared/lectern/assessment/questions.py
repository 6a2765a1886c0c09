"""The question bank: authors (instructors, admins) write questions, with their options.

A question is private to its author (admins see all): anyone else gets a 404, so ids
do not leak. A question tied to a course needs the right to edit that course. Both
rules are decided in ``lectern.assessment.access`` and ``lectern.catalog.access``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Select, cast, delete, func, insert, select, true
from sqlalchemy.orm import Session

from lectern.assessment import access
from lectern.assessment.models import Question, QuestionOption, QuestionStatShard
from lectern.assessment.schemas import (
    QuestionBulkOut,
    QuestionIn,
    QuestionOptionIn,
    QuestionOptionOut,
    QuestionOut,
    QuestionQuery,
    QuestionStatsOut,
    QuestionUpdateIn,
    options_problem,
)
from lectern.catalog import access as catalog_access
from lectern.core.ids import uuid7
from lectern.core.outbox import enqueue
from lectern.core.pagination import BAD_CURSOR, Page, decode_cursor, encode_cursor, split_page
from lectern.core.principal import Principal
from lectern.errors import InvalidField, NotFound


def _option_rows(
    question_id: uuid.UUID, options: Sequence[QuestionOptionIn]
) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid7(),
            "question_id": question_id,
            "position": position,
            "text": option.text,
            "is_correct": option.is_correct,
        }
        for position, option in enumerate(options)
    ]


def _insert_questions(
    db: Session, principal: Principal, items: Sequence[QuestionIn]
) -> list[uuid.UUID]:
    """Three multi-row INSERTs (questions, options, stats), whatever the number of items."""
    for course_id in sorted({q.course_id for q in items if q.course_id is not None}):
        catalog_access.course_for_edit(db, principal, course_id)
    question_rows: list[dict[str, Any]] = []
    option_rows: list[dict[str, Any]] = []
    for item in items:
        qid = uuid7()
        question_rows.append(
            {
                "id": qid,
                "owner_id": principal.user_id,
                "course_id": item.course_id,
                "prompt": item.prompt,
                "type": item.type,
                "difficulty": item.difficulty,
                "topic": item.topic,
                "subject": item.subject,
                "system": item.system,
                "explanation": item.explanation,
                "tags": item.tags,
            }
        )
        option_rows += _option_rows(qid, item.options)
    db.execute(insert(Question).values(question_rows))
    if option_rows:
        db.execute(insert(QuestionOption).values(option_rows))
    db.execute(
        insert(QuestionStatShard).values(
            [
                {"question_id": row["id"], "shard": 0, "answered": 0, "correct": 0}
                for row in question_rows
            ]
        )
    )
    ids = [row["id"] for row in question_rows]
    enqueue(db, "question", ids)  # same transaction: the index learns of them once committed
    return ids


def _outs(db: Session, stmt: Select[Question, int, int]) -> list[QuestionOut]:
    """Questions with their counters (one query), then all their options (one more)."""
    rows = db.execute(stmt).all()
    ids = [row.Question.id for row in rows]
    options: dict[uuid.UUID, list[QuestionOptionOut]] = defaultdict(list)
    if ids:
        for option in db.scalars(
            select(QuestionOption)
            .where(QuestionOption.question_id.in_(ids))
            .order_by(QuestionOption.question_id, QuestionOption.position)
        ):
            options[option.question_id].append(
                QuestionOptionOut(id=option.id, text=option.text, is_correct=option.is_correct)
            )
    return [
        QuestionOut(
            id=q.id,
            owner_id=q.owner_id,
            course_id=q.course_id,
            prompt=q.prompt,
            type=q.type,
            difficulty=q.difficulty,
            topic=q.topic,
            subject=q.subject,
            system=q.system,
            explanation=q.explanation,
            tags=q.tags,
            options=options[q.id],
            stats=QuestionStatsOut(answered=row.answered or 0, correct=row.correct or 0),
            created_at=q.created_at,
            updated_at=q.updated_at,
        )
        for row in rows
        for q in (row.Question,)
    ]


def _with_stats() -> Select[Question, int, int]:
    """Questions with their counters: each question's shards summed beside it (a lateral
    subquery reads only that question's rows of the shards' primary key)."""
    totals = (
        select(
            cast(func.sum(QuestionStatShard.answered), Integer).label("answered"),
            cast(func.sum(QuestionStatShard.correct), Integer).label("correct"),
        )
        .where(QuestionStatShard.question_id == Question.id)
        .lateral("stats")
    )
    return select(Question, totals.c.answered, totals.c.correct).outerjoin(totals, true())


def _load(db: Session, question_id: uuid.UUID) -> QuestionOut:
    return _outs(db, _with_stats().where(Question.id == question_id))[0]


def create_question(db: Session, principal: Principal, data: QuestionIn) -> QuestionOut:
    [question_id] = _insert_questions(db, principal, [data])
    out = _load(db, question_id)
    db.commit()
    return out


def create_questions(
    db: Session, principal: Principal, items: Sequence[QuestionIn]
) -> QuestionBulkOut:
    """All or nothing: every item was validated before this runs, and one commit ends it."""
    ids = _insert_questions(db, principal, items)
    db.commit()
    return QuestionBulkOut(created=len(ids), ids=ids)


def list_questions(db: Session, principal: Principal, query: QuestionQuery) -> Page[QuestionOut]:
    """The caller's questions (an admin's: everyone's), newest first."""
    stmt = (
        _with_stats()
        .where(access.questions_visible_to(principal))
        .order_by(Question.id.desc())
        .limit(query.limit + 1)
    )
    for column in ("topic", "difficulty", "subject", "system", "course_id"):
        value = getattr(query, column)
        if value is not None:
            stmt = stmt.where(getattr(Question, column) == value)
    if query.cursor is not None:
        position = decode_cursor(query.cursor)
        try:
            after = uuid.UUID(str(position["id"]))
        except (KeyError, ValueError) as exc:
            raise InvalidField("cursor", BAD_CURSOR) from exc
        stmt = stmt.where(Question.id < after)
    # Ordered by id alone (UUIDv7, so by creation): the cursor holds the last id.
    items, next_cursor = split_page(
        _outs(db, stmt), query.limit, lambda q: encode_cursor({"id": str(q.id)})
    )
    return Page[QuestionOut](items=items, next_cursor=next_cursor)


def get_question(db: Session, principal: Principal, question_id: uuid.UUID) -> QuestionOut:
    stmt = _with_stats().where(Question.id == question_id, access.questions_visible_to(principal))
    found = _outs(db, stmt)
    if not found:
        raise NotFound(access.QUESTION_NOT_FOUND)
    return found[0]


def update_question(
    db: Session, principal: Principal, question_id: uuid.UUID, data: QuestionUpdateIn
) -> QuestionOut:
    question = access.question_for_edit(db, principal, question_id)
    sent = data.model_fields_set
    for field in ("prompt", "difficulty", "topic", "subject", "system", "explanation", "tags"):
        if field in sent:
            setattr(question, field, getattr(data, field))
    if data.options is not None:
        if problem := options_problem(question.type, data.options):
            raise InvalidField("options", problem)
        db.execute(delete(QuestionOption).where(QuestionOption.question_id == question.id))
        db.execute(insert(QuestionOption).values(_option_rows(question.id, data.options)))
    question.updated_at = datetime.now(UTC)
    enqueue(db, "question", [question.id])
    db.flush()
    out = _load(db, question.id)
    db.commit()
    return out


def delete_question(db: Session, principal: Principal, question_id: uuid.UUID) -> None:
    """Gone with its options and counters, and from the exams that drew it."""
    question = access.question_for_edit(db, principal, question_id)
    enqueue(db, "question", [question.id])
    db.delete(question)
    db.commit()

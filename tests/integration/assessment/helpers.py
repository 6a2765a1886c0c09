"""Building blocks for the assessment tests: questions of each type, banks, right answers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

OPTIONS: dict[str, list[tuple[str, bool]]] = {
    "single_choice": [("Aorta", True), ("Vena cava", False), ("Pulmonary vein", False)],
    "multiple_choice": [("Kidney", True), ("Liver", True), ("Femur", False)],
    "true_false": [("True", True), ("False", False)],
    "short_answer": [("Mitral valve", True), ("bicuspid valve", True)],
}


def question_data(
    topic: str, qtype: str = "single_choice", difficulty: str = "medium", **extra: Any
) -> dict[str, Any]:
    return {
        "prompt": f"A {qtype} question about {topic}?",
        "type": qtype,
        "difficulty": difficulty,
        "topic": topic,
        "options": [{"text": t, "is_correct": c} for t, c in OPTIONS[qtype]],
        "explanation": f"Because of {topic}.",
        **extra,
    }


def question_in(topic: str, qtype: str = "single_choice", difficulty: str = "medium", **extra: Any):
    from lectern.assessment.schemas import QuestionIn

    return QuestionIn.model_validate(question_data(topic, qtype, difficulty, **extra))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_bank(
    db: Session,
    author: Any,
    n: int,
    *,
    topic: str,
    difficulties: tuple[str, ...] = ("easy", "medium", "hard"),
    qtype: str = "single_choice",
    **extra: Any,
) -> list[uuid.UUID]:
    from lectern.assessment.questions import create_questions

    items = [
        question_in(topic, qtype, difficulties[i % len(difficulties)], **extra) for i in range(n)
    ]
    return create_questions(db, author.principal, items).ids


def right_answer(db: Session, question_id: uuid.UUID) -> dict[str, Any]:
    """The body of a correct answer to this question."""
    from lectern.assessment.models import Question, QuestionOption, QuestionType

    question = db.get(Question, question_id)
    assert question is not None
    options = db.scalars(select(QuestionOption).where(QuestionOption.question_id == question_id))
    options = list(options)
    if question.type is QuestionType.short_answer:
        return {"question_id": question_id, "text": f"  {options[0].text.upper()}  "}
    return {"question_id": question_id, "option_ids": [o.id for o in options if o.is_correct]}


def wrong_answer(db: Session, question_id: uuid.UUID) -> dict[str, Any]:
    from lectern.assessment.models import Question, QuestionOption, QuestionType

    question = db.get(Question, question_id)
    assert question is not None
    if question.type is QuestionType.short_answer:
        return {"question_id": question_id, "text": "tricuspid"}
    options = db.scalars(select(QuestionOption).where(QuestionOption.question_id == question_id))
    return {
        "question_id": question_id,
        "option_ids": [next(o.id for o in options if not o.is_correct)],
    }

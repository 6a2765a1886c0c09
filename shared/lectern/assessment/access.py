"""Who may see or change a question or an exam: one place, used by every service.

- A question is private to its author; admins see and change every question. To anyone
  else it is a 404, so ids do not leak. (Tying a question to a course also takes the
  right to edit that course: ``lectern.catalog.access`` decides that.)
- An exam is its taker's alone: anyone else, admins included, gets a 404.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from lectern.assessment.models import Exam, Question
from lectern.core.principal import Principal, UserRole
from lectern.errors import NotFound

QUESTION_NOT_FOUND = "No such question."
EXAM_NOT_FOUND = "No such exam."


def can_see_question(question: Question, principal: Principal) -> bool:
    return principal.role == UserRole.admin or question.owner_id == principal.user_id


def questions_visible_to(principal: Principal) -> ColumnElement[bool]:
    """The filter of every question query: the caller's own, or all of them for an admin."""
    if principal.role == UserRole.admin:
        return true()
    return Question.owner_id == principal.user_id


def question_for_edit(
    db: Session, principal: Principal, question_id: uuid.UUID, *, lock: bool = True
) -> Question:
    """The question, locked for the change, or a 404 when it is not the caller's to see."""
    question = db.get(Question, question_id, with_for_update=lock)
    if question is None or not can_see_question(question, principal):
        raise NotFound(QUESTION_NOT_FOUND)
    return question


def exam_for_taker(
    db: Session, principal: Principal, exam_id: uuid.UUID, *, lock: bool = False
) -> Exam:
    """The caller's exam (locked and read afresh with ``lock``), or a 404 for anyone else."""
    exam = db.get(Exam, exam_id, with_for_update=lock, populate_existing=lock)
    if exam is None or exam.user_id != principal.user_id:
        raise NotFound(EXAM_NOT_FOUND)
    return exam

"""Function `assessments`: the question bank (authors), exams and answers, performance;
course quizzes, whose attempts are exams."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import (
    AuthorPrincipal,
    CurrentPrincipal,
    DbSession,
    InlineDbSession,
    InlinePrincipal,
)
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.assessment import exams, performance, questions, quizzes
from lectern.assessment.schemas import (
    ExamAnswerIn,
    ExamAnswerOut,
    ExamIn,
    ExamOut,
    ExamScoreOut,
    ExamStateOut,
    ExamSummaryOut,
    PerformanceOut,
    QuestionBulkIn,
    QuestionBulkOut,
    QuestionIn,
    QuestionOut,
    QuestionQuery,
    QuestionUpdateIn,
    QuizIn,
    QuizListOut,
    QuizOut,
)
from lectern.assessment.throttle import check_exam_starts
from lectern.core.pagination import DEFAULT_PAGE_SIZE, Page

router = APIRouter(prefix="/v1", tags=["assessments"], responses=problems(401, 422, 503))

_NO_QUESTIONS = {
    409: {"description": "No question in the bank matches the criteria."},
    429: {"description": "Too many exams started this hour (Retry-After says when to retry)."},
}
_EXAM_STATE = {409: {"description": "The exam is not in a state that allows this."}}
_PAUSE_CONFLICTS = {
    409: {
        "description": "Not active, time is up (the exam is then submitted), or an exam-mode "
        "exam has used its pauses (type pause-limit-reached)."
    }
}
_ANSWER_CONFLICTS = {
    409: {
        "description": "Question already answered, exam not active, or time is up "
        "(the exam is then submitted)."
    }
}


@router.post("/questions", status_code=status.HTTP_201_CREATED, responses=problems(403))
def create_question(body: QuestionIn, principal: AuthorPrincipal, db: DbSession) -> QuestionOut:
    return questions.create_question(db, principal, body)


@router.post("/questions/bulk", status_code=status.HTTP_201_CREATED, responses=problems(403))
def create_questions(
    body: QuestionBulkIn, principal: AuthorPrincipal, db: DbSession
) -> QuestionBulkOut:
    return questions.create_questions(db, principal, body.questions)


@router.get("/questions", responses=problems(403))
def list_questions(
    query: Annotated[QuestionQuery, Query()], principal: AuthorPrincipal, db: DbSession
) -> Page[QuestionOut]:
    return questions.list_questions(db, principal, query)


@router.get("/questions/{id}", responses=problems(403, 404))
def get_question(id: uuid.UUID, principal: AuthorPrincipal, db: DbSession) -> QuestionOut:
    return questions.get_question(db, principal, id)


@router.patch("/questions/{id}", responses=problems(403, 404))
def update_question(
    id: uuid.UUID, body: QuestionUpdateIn, principal: AuthorPrincipal, db: DbSession
) -> QuestionOut:
    return questions.update_question(db, principal, id, body)


@router.delete(
    "/questions/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(403, 404)
)
def delete_question(id: uuid.UUID, principal: AuthorPrincipal, db: DbSession) -> Response:
    questions.delete_question(db, principal, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/exams", status_code=status.HTTP_201_CREATED, responses=_NO_QUESTIONS)
def create_exam(body: ExamIn, principal: CurrentPrincipal, db: DbSession) -> ExamOut:
    check_exam_starts(str(principal.user_id))
    return exams.create_exam(db, principal, body)


@router.get("/exams/{id}", responses=problems(404))
def get_exam(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ExamOut:
    return exams.get_exam(db, principal, id)


@router.post(
    "/exams/{id}/answers",
    status_code=status.HTTP_201_CREATED,
    responses={**problems(404), **_ANSWER_CONFLICTS},
)
async def answer(
    id: uuid.UUID, body: ExamAnswerIn, principal: InlinePrincipal, db: InlineDbSession
) -> ExamAnswerOut:
    # The hot path: on the event loop, no worker-thread hops (see lectern.api.deps).
    return exams.answer(db, principal, id, body)


@router.post("/exams/{id}/pause", responses={**problems(404), **_PAUSE_CONFLICTS})
def pause_exam(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ExamStateOut:
    return exams.pause(db, principal, id)


@router.post("/exams/{id}/resume", responses={**problems(404), **_EXAM_STATE})
def resume_exam(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ExamStateOut:
    return exams.resume(db, principal, id)


@router.post("/exams/{id}/submit", responses={**problems(404), **_EXAM_STATE})
def submit_exam(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ExamScoreOut:
    return exams.submit(db, principal, id)


@router.get("/me/exams")
def my_exams(
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[ExamSummaryOut]:
    return exams.list_exams(db, principal, limit=limit, cursor=cursor)


@router.get("/me/performance")
def my_performance(principal: CurrentPrincipal, db: DbSession) -> PerformanceOut:
    return performance.performance(db, principal)


@router.post("/courses/{id}/quizzes", status_code=status.HTTP_201_CREATED, responses=problems(404))
def create_quiz(id: uuid.UUID, body: QuizIn, principal: CurrentPrincipal, db: DbSession) -> QuizOut:
    """A quiz of the caller's own questions, a fixed list or a draw rule (owner or admin)."""
    return quizzes.create_quiz(db, principal, id, body)


@router.get("/courses/{id}/quizzes", responses=problems(403, 404))
def list_quizzes(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> QuizListOut:
    """The course's quizzes (enrolled learners, the owner, admins)."""
    return quizzes.list_quizzes(db, principal, id)


@router.post(
    "/quizzes/{id}/attempts",
    status_code=status.HTTP_201_CREATED,
    responses={**problems(403, 404), **_NO_QUESTIONS},
)
def start_quiz_attempt(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ExamOut:
    """Start an attempt: an exam (same shape and routes as POST /v1/exams)."""
    check_exam_starts(str(principal.user_id))  # an attempt is an exam started
    return quizzes.start_attempt(db, principal, id)


app = create_app(router, title="Lectern assessments")
handler = lambda_handler(app)

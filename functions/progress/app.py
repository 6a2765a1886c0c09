"""Function `progress`: enrollments, lesson completion, certificates, stats and leaderboards;
a course's roster for its owner."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problem, problems
from lectern.core.pagination import DEFAULT_PAGE_SIZE, Page
from lectern.progress import roster, service
from lectern.progress.leaderboards import Period
from lectern.progress.schemas import (
    CertificateOut,
    CertificateVerificationOut,
    CompleteIn,
    CompletionOut,
    EnrollIn,
    EnrollmentItemOut,
    EnrollmentOut,
    LeaderboardOut,
    LearnerDetailOut,
    ProgressStatsOut,
    RosterItemOut,
)

router = APIRouter(prefix="/v1", tags=["progress"], responses=problems(422, 503))


@router.post(
    "/courses/{id}/enroll",
    status_code=status.HTTP_201_CREATED,
    responses={**problems(401, 404), **problem(409, "Already enrolled.")},
)
def enroll(
    id: uuid.UUID, principal: CurrentPrincipal, db: DbSession, body: EnrollIn | None = None
) -> EnrollmentOut:
    return service.enroll(db, principal, id)


@router.delete(
    "/courses/{id}/enroll", status_code=status.HTTP_204_NO_CONTENT, responses=problems(401, 404)
)
def unenroll(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Leave the course; progress is kept for a return, certificates stay."""
    service.unenroll(db, principal, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/courses/{id}/enrollments", responses=problems(401, 403, 404))
def course_roster(
    id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[RosterItemOut]:
    """The course's learners, newest enrollment first (owner or admin; names, and emails
    for admins only)."""
    return roster.roster(db, principal, id, limit=limit, cursor=cursor)


@router.get("/courses/{id}/learners/{user_id}", responses=problems(401, 403, 404))
def course_learner(
    id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal, db: DbSession
) -> LearnerDetailOut:
    """One enrolled learner's progress, completed lessons and quiz attempts."""
    return roster.learner_detail(db, principal, id, user_id)


@router.get("/me/enrollments", responses=problems(401))
def list_enrollments(
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[EnrollmentItemOut]:
    return service.list_enrollments(db, principal, limit=limit, cursor=cursor)


@router.post("/lessons/{id}/complete", responses=problems(401, 403, 404))
def complete_lesson(
    id: uuid.UUID, principal: CurrentPrincipal, db: DbSession, body: CompleteIn | None = None
) -> CompletionOut:
    return service.complete_lesson(db, principal, id)


@router.get("/me/certificates", responses=problems(401))
def list_certificates(
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[CertificateOut]:
    return service.list_certificates(db, principal, limit=limit, cursor=cursor)


@router.get("/certificates/{code}", responses=problems(404))
def verify_certificate(
    code: Annotated[str, Path(min_length=1, max_length=service.MAX_CODE_LENGTH)], db: DbSession
) -> CertificateVerificationOut:
    """Public: no token needed, so an employer can check a learner's certificate."""
    return service.verify_certificate(db, code)


@router.get("/me/stats", responses=problems(401))
def get_stats(principal: CurrentPrincipal, db: DbSession) -> ProgressStatsOut:
    return service.stats(db, principal)


@router.get("/leaderboards/{period}", responses=problems(401))
def get_leaderboard(
    period: Period, principal: CurrentPrincipal, db: DbSession, limit: LimitParam = 100
) -> LeaderboardOut:
    return service.leaderboard(db, principal, period, limit=limit)


app = create_app(router, title="Lectern progress")
handler = lambda_handler(app)

"""Function `challenges`: time-boxed challenges (authors create them), joining, and each
challenge's leaderboard with the caller's own rank."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import AuthorPrincipal, CurrentPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.challenges import service
from lectern.challenges.schemas import (
    ChallengeBoardOut,
    ChallengeIn,
    ChallengeOut,
    ChallengePage,
    EntryOut,
    Status,
)
from lectern.core.pagination import DEFAULT_PAGE_SIZE

router = APIRouter(prefix="/v1", tags=["challenges"], responses=problems(401, 422, 503))

Responses = dict[int | str, dict[str, Any]]
_NOT_FOUND: Responses = {404: {"description": "No such challenge, or hidden from the caller."}}
BOARD_MAX = 100


@router.post(
    "/challenges",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "Instructors and admins only; a course's challenge, its owner."},
        404: {"description": "No such course, or hidden from the caller."},
    },
)
def create_challenge(body: ChallengeIn, principal: AuthorPrincipal, db: DbSession) -> ChallengeOut:
    """A challenge on a metric over a window; reaching ``target`` completes it."""
    return service.create(db, principal, body)


@router.get("/challenges")
def list_challenges(
    principal: CurrentPrincipal,
    db: DbSession,
    status: Annotated[Status | None, Query()] = None,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> ChallengePage:
    """Challenges by start, newest first, with the caller's ``joined`` and ``my_score``."""
    return service.list_challenges(db, principal, status, limit=limit, cursor=cursor)


@router.get("/challenges/{id}", responses=_NOT_FOUND)
def get_challenge(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ChallengeOut:
    return service.get(db, principal, id)


@router.post(
    "/challenges/{id}/join",
    status_code=status.HTTP_201_CREATED,
    responses={**_NOT_FOUND, 409: {"description": "The challenge ended, or already joined."}},
)
def join_challenge(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> EntryOut:
    """Join (before or during the window): only activity from now on counts."""
    return service.join(db, principal, id)


@router.get("/challenges/{id}/leaderboard", responses=_NOT_FOUND)
def challenge_leaderboard(
    id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=BOARD_MAX)] = BOARD_MAX,
) -> ChallengeBoardOut:
    """The top ``limit`` entrants and the caller's own rank."""
    return service.leaderboard(db, principal, id, limit=limit)


app = create_app(router, title="Lectern challenges")
handler = lambda_handler(app)

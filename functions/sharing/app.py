"""Function `sharing`: create, list and revoke share links, and open one without signing in."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid

from fastapi import APIRouter, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.core.pagination import DEFAULT_PAGE_SIZE, Page
from lectern.sharing import service
from lectern.sharing.schemas import ShareCreatedOut, SharedView, ShareIn, ShareOut

router = APIRouter(prefix="/v1", tags=["sharing"], responses=problems(422, 503))


@router.post("/shares", status_code=status.HTTP_201_CREATED, responses=problems(401, 404))
def create_share(body: ShareIn, principal: CurrentPrincipal, db: DbSession) -> ShareCreatedOut:
    return service.create_share(db, principal, body)


@router.get("/me/shares", responses=problems(401))
def list_shares(
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[ShareOut]:
    return service.list_shares(db, principal, limit=limit, cursor=cursor)


@router.delete("/shares/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(401, 404))
def revoke_share(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    service.revoke_share(db, principal, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/shared/{token}", responses=problems(404))
def open_share(token: str, db: DbSession, response: Response) -> SharedView:
    # No auth: the token is the capability. Not cached anywhere, so a revoked link dies
    # at once, and not sent on as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return service.open_share(db, token)


app = create_app(router, title="Lectern sharing")
handler = lambda_handler(app)

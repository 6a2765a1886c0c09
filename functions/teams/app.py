"""Function `teams`: teams, their members and roles, invitations by mail (accepted while
signed in), and the members' progress and certificates on the assigned courses."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession, client_ip
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.core.pagination import DEFAULT_PAGE_SIZE
from lectern.teams import service
from lectern.teams.schemas import (
    AcceptIn,
    CertificateList,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberPage,
    MemberRoleIn,
    ProgressPage,
    TeamIn,
    TeamList,
    TeamOut,
    TeamUpdateIn,
)

router = APIRouter(prefix="/v1", tags=["teams"], responses=problems(401, 422, 503))

Responses = dict[int | str, dict[str, Any]]
_NOT_FOUND: Responses = {404: {"description": "No such team, or the caller is not a member."}}
_MANAGERS: Responses = {
    **_NOT_FOUND,
    403: {"description": "Only the team's owners and admins (owners, for owners)."},
}


@router.post("/teams", status_code=status.HTTP_201_CREATED)
def create_team(body: TeamIn, principal: CurrentPrincipal, db: DbSession) -> TeamOut:
    """A new team; the caller is its owner."""
    return service.create_team(db, principal, body)


@router.get("/me/teams")
def my_teams(principal: CurrentPrincipal, db: DbSession) -> TeamList:
    return service.my_teams(db, principal)


@router.get("/teams/{id}", responses=_NOT_FOUND)
def get_team(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> TeamOut:
    return service.get_team(db, principal, id)


@router.patch("/teams/{id}", responses=_MANAGERS)
def update_team(
    id: uuid.UUID, body: TeamUpdateIn, principal: CurrentPrincipal, db: DbSession
) -> TeamOut:
    return service.update_team(db, principal, id, body)


@router.get("/teams/{id}/members", responses=_NOT_FOUND)
def list_members(
    id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> MemberPage:
    return service.list_members(db, principal, id, limit=limit, cursor=cursor)


@router.post(
    "/teams/{id}/invitations",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_MANAGERS,
        409: {"description": "The seats are taken, or the address is a member's already."},
        429: {"description": "Too many invitations (per inviter, address, mailbox, platform)."},
    },
)
def invite(
    id: uuid.UUID,
    body: InvitationIn,
    principal: CurrentPrincipal,
    db: DbSession,
    ip: Annotated[str | None, Depends(client_ip)],
) -> InvitationOut:
    """Mail a single-use link (7 days) that adds the address's account to the team."""
    return service.invite(db, principal, id, body, ip=ip)


@router.post(
    "/team-invitations/accept",
    responses={
        401: {"description": "The token is used, expired or unknown (or no session)."},
        403: {"description": "The invitation was sent to another address."},
        409: {"description": "The team's seats are taken."},
    },
)
def accept_invitation(body: AcceptIn, principal: CurrentPrincipal, db: DbSession) -> MemberOut:
    return service.accept(db, principal, body.token)


@router.patch(
    "/teams/{id}/members/{user_id}",
    responses={**_MANAGERS, 409: {"description": "The team's last owner stays an owner."}},
)
def change_role(
    id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberRoleIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> MemberOut:
    return service.change_role(db, principal, id, user_id, body)


@router.delete(
    "/teams/{id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_MANAGERS, 409: {"description": "The team's last owner cannot leave."}},
)
def remove_member(
    id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """Remove a member (owners and admins), or leave (one's own id)."""
    service.remove_member(db, principal, id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/teams/{id}/progress", responses=_MANAGERS)
def team_progress(
    id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> ProgressPage:
    """Each member's progress on the assigned courses (names; e-mail for platform admins)."""
    return service.progress(db, principal, id, limit=limit, cursor=cursor)


@router.get("/teams/{id}/certificates", responses=_MANAGERS)
def team_certificates(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> CertificateList:
    """The members' certificates for the assigned courses."""
    return service.certificates(db, principal, id)


app = create_app(router, title="Lectern teams")
handler = lambda_handler(app)

"""Function `badges`: badges with rules (authors create them), a learner's awards, and
each award as a public, signed Open Badges 3.0 credential with the issuer's key."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import AuthorPrincipal, CurrentPrincipal, DbSession
from lectern.api.responses import problems
from lectern.badges import credential, service
from lectern.badges.schemas import AwardList, BadgeIn, BadgeOut

router = APIRouter(prefix="/v1", tags=["badges"], responses=problems(422, 503))


class LinkedDataResponse(JSONResponse):
    media_type = "application/ld+json"


Responses = dict[int | str, dict[str, Any]]
_JSON_LD: Responses = {200: {"content": {"application/ld+json": {}}}}


@router.post(
    "/badges",
    status_code=status.HTTP_201_CREATED,
    responses={
        **problems(401),
        403: {"description": "Instructors and admins; a rule on a course or challenge: its owner."},
        404: {"description": "No such course, or hidden from the caller."},
    },
)
def create_badge(body: BadgeIn, principal: AuthorPrincipal, db: DbSession) -> BadgeOut:
    """A badge awarded by its rule, as the activity that meets it happens."""
    return service.create(db, principal, body)


@router.get("/me/badges", responses=problems(401))
def my_badges(principal: CurrentPrincipal, db: DbSession) -> AwardList:
    """The caller's badges, newest first, each with its credential's id."""
    return service.my_badges(db, principal)


# Before /badges/{id}, so "issuer" is not read as an id.
@router.get("/badges/issuer", response_class=LinkedDataResponse, responses=_JSON_LD)
def issuer() -> dict[str, Any]:
    """No sign-in: the issuer's Open Badges ``Profile`` with its public key (``Multikey``)."""
    return credential.issuer_profile()


@router.get("/badges/keys")
def keys() -> dict[str, Any]:
    """No sign-in: the issuer's public key as a JWK Set (OKP, Ed25519)."""
    return credential.key_set()


@router.get(
    "/badges/assertions/{id}",
    response_class=LinkedDataResponse,
    responses={**_JSON_LD, 404: {"description": "No such credential, or revoked."}},
)
def assertion(id: uuid.UUID, db: DbSession) -> dict[str, Any]:
    """No sign-in: the award as a signed Open Badges 3.0 ``OpenBadgeCredential``."""
    return service.assertion(db, id)


@router.delete(
    "/badges/assertions/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **problems(401),
        403: {"description": "Only the badge's author or an admin."},
        404: {"description": "No such credential, or revoked already."},
    },
)
def revoke_assertion(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Revoke an award: its credential answers 404 from now on."""
    service.revoke(db, principal, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/badges/{id}",
    response_class=LinkedDataResponse,
    responses={**_JSON_LD, 404: {"description": "No such badge."}},
)
def achievement(id: uuid.UUID, db: DbSession) -> dict[str, Any]:
    """No sign-in: the badge as an Open Badges ``Achievement`` with its criteria."""
    return service.get(db, id)


app = create_app(router, title="Lectern badges")
handler = lambda_handler(app)

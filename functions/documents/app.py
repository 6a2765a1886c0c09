"""Function `documents`: presigned uploads, the completion check, downloads and deletion;
documents attached to lessons as resources."""

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
from lectern.core.pagination import DEFAULT_PAGE_SIZE, Page
from lectern.documents import resources, service
from lectern.documents.schemas import (
    CompleteOut,
    DocumentCreatedOut,
    DocumentIn,
    DocumentOut,
    DownloadOut,
    ResourceCreatedOut,
    ResourceIn,
    ResourceListOut,
)

router = APIRouter(prefix="/v1", tags=["documents"], responses=problems(401, 422, 503))

Responses = dict[int | str, dict[str, Any]]

_NOT_FOUND: Responses = {404: {"description": "No such document, or not the caller's."}}
_CREATE_ERRORS: Responses = {
    404: {"description": "The course does not exist or the caller cannot see it."},
    409: {
        "description": "The caller's document or storage quota is used up "
        "(document-quota-exceeded, storage-quota-exceeded: with limit and used); deleting "
        "documents makes room."
    },
    413: {"description": "size_bytes is over the upload limit."},
    415: {"description": "content_type is not an accepted document type."},
    429: {
        "description": "Too many uploads begun this hour by the caller, from their address "
        "or platform-wide; Retry-After says when to try again."
    },
}
_COMPLETE_ERRORS: Responses = {
    **_NOT_FOUND,
    409: {
        "description": "The upload is missing, or its size, type or first bytes differ from "
        "what was declared; the object is deleted and may be sent again."
    },
    503: {"description": "Storage or the ingest queue is unavailable; nothing changed."},
}
_DOWNLOAD_ERRORS: Responses = {
    **_NOT_FOUND,
    409: {"description": "The upload is not completed yet."},
}
_DELETE_ERRORS: Responses = {
    **_NOT_FOUND,
    503: {"description": "Storage is unavailable; nothing changed."},
}


@router.post("/documents", status_code=status.HTTP_201_CREATED, responses=_CREATE_ERRORS)
def create_document(
    body: DocumentIn,
    principal: CurrentPrincipal,
    db: DbSession,
    ip: Annotated[str | None, Depends(client_ip)],
) -> DocumentCreatedOut:
    return service.create_document(db, principal, body, ip)


@router.post(
    "/documents/{id}/complete", status_code=status.HTTP_202_ACCEPTED, responses=_COMPLETE_ERRORS
)
def complete_document(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> CompleteOut:
    return service.complete_document(db, principal, id)


@router.get("/me/documents")
def list_documents(
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[DocumentOut]:
    return service.list_documents(db, principal, limit=limit, cursor=cursor)


@router.get("/documents/{id}", responses=_NOT_FOUND)
def get_document(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> DocumentOut:
    return service.get_document(db, principal, id)


@router.get("/documents/{id}/download", responses=_DOWNLOAD_ERRORS)
def download_document(
    id: uuid.UUID, principal: CurrentPrincipal, db: DbSession, response: Response
) -> DownloadOut:
    # The URL is a short-lived capability: not for caches.
    response.headers["Cache-Control"] = "no-store"
    return service.download_document(db, principal, id)


@router.delete("/documents/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=_DELETE_ERRORS)
def delete_document(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    service.delete_document(db, principal, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/lessons/{id}/resources",
    status_code=status.HTTP_201_CREATED,
    responses={
        **problems(404),
        409: {"description": "The document is not ready, or already attached."},
    },
)
def attach_resource(
    id: uuid.UUID, body: ResourceIn, principal: CurrentPrincipal, db: DbSession
) -> ResourceCreatedOut:
    """Attach one of the caller's own ready documents to a lesson of their course."""
    return resources.attach(db, principal, id, body.document_id)


@router.get("/lessons/{id}/resources", responses=problems(404))
def list_resources(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ResourceListOut:
    """A lesson's resources (enrolled learners, the course's owner, admins)."""
    return resources.list_resources(db, principal, id)


@router.get("/resources/{id}/download", responses=problems(404))
def download_resource(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> DownloadOut:
    """A short-lived presigned URL for whoever may read the resource's lesson."""
    return resources.download(db, principal, id)


@router.delete("/resources/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
def detach_resource(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Detach it (owner or admin): the document stays, learners' access ends at once."""
    resources.detach(db, principal, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


app = create_app(router, title="Lectern documents")
handler = lambda_handler(app)

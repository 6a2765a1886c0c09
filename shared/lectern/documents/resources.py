"""Lesson resources: a course's owner (or an admin) attaches one of their own ready
documents to a lesson; whoever may read the lesson (its course's enrolled learners, the
owner, admins: ``lectern.catalog.access``) lists and downloads it by a short-lived
presigned URL. The document stays its owner's: detaching, or deleting the document,
ends every learner's access at once, and so does leaving the course, since each request
asks the lesson's access afresh. Semantic search reads the same rows
(``lectern.ai.retrieval``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lectern.catalog import access as catalog_access
from lectern.config import get_settings
from lectern.core.ids import uuid7
from lectern.core.principal import Principal
from lectern.documents import access
from lectern.documents.models import Document, DocumentStatus, LessonResource
from lectern.documents.schemas import (
    DownloadOut,
    ResourceCreatedOut,
    ResourceListOut,
    ResourceOut,
)
from lectern.documents.service import content_disposition
from lectern.errors import Conflict, NotFound
from lectern.storage.factory import get_storage

RESOURCE_NOT_FOUND = "No such resource."
NOT_READY = "Only a ready document can be attached."
ALREADY_ATTACHED = "This document is already attached to this lesson."


def attach(
    db: Session, principal: Principal, lesson_id: uuid.UUID, document_id: uuid.UUID
) -> ResourceCreatedOut:
    lesson = catalog_access.lesson_for_edit(db, principal, lesson_id)
    # The caller's own document: anyone else's is a 404, as everywhere documents are.
    doc = access.document_for_owner(db, principal, document_id)
    if doc.status != DocumentStatus.ready:
        raise Conflict(NOT_READY)
    try:
        resource_id = db.execute(
            insert(LessonResource)
            .values(id=uuid7(), lesson_id=lesson.id, course_id=lesson.course_id, document_id=doc.id)
            .on_conflict_do_nothing(index_elements=["lesson_id", "document_id"])
            .returning(LessonResource.id)
        ).scalar()
    except IntegrityError as exc:  # the lesson or the document went meanwhile
        db.rollback()
        raise NotFound(catalog_access.LESSON_NOT_FOUND) from exc
    if resource_id is None:
        db.rollback()
        raise Conflict(ALREADY_ATTACHED)
    db.commit()
    return ResourceCreatedOut(
        id=resource_id, lesson_id=lesson.id, document_id=doc.id, filename=doc.filename
    )


def list_resources(db: Session, principal: Principal, lesson_id: uuid.UUID) -> ResourceListOut:
    catalog_access.lesson_for_view(db, principal, lesson_id)
    rows = db.execute(
        select(LessonResource.id, Document.filename, Document.content_type, Document.size_bytes)
        .join(Document, Document.id == LessonResource.document_id)
        .where(LessonResource.lesson_id == lesson_id)
        .order_by(LessonResource.created_at, LessonResource.id)
    ).all()
    return ResourceListOut(items=[ResourceOut.model_validate(r._asdict()) for r in rows])


def _resource(db: Session, principal: Principal, resource_id: uuid.UUID) -> LessonResource:
    """The resource if the caller may read its lesson: a 404 when the lesson is hidden
    from them (its course unpublished and not theirs), a 403 when they are not enrolled."""
    resource = db.get(LessonResource, resource_id)
    if resource is None:
        raise NotFound(RESOURCE_NOT_FOUND)
    try:
        catalog_access.lesson_for_view(db, principal, resource.lesson_id)
    except NotFound as exc:
        raise NotFound(RESOURCE_NOT_FOUND) from exc
    return resource


def download(db: Session, principal: Principal, resource_id: uuid.UUID) -> DownloadOut:
    resource = _resource(db, principal, resource_id)
    doc = db.get(Document, resource.document_id)
    if doc is None:
        raise NotFound(RESOURCE_NOT_FOUND)
    ttl = get_settings().documents.download_url_ttl_seconds
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl)
    url = get_storage().presign_get(
        doc.object_key, expires_in=ttl, content_disposition=content_disposition(doc.filename)
    )
    return DownloadOut(url=url, expires_at=expires_at)


def detach(db: Session, principal: Principal, resource_id: uuid.UUID) -> None:
    """Only the course's owner (or an admin) detaches; the document itself stays."""
    resource = _resource(db, principal, resource_id)
    catalog_access.lesson_for_edit(db, principal, resource.lesson_id)
    db.delete(resource)
    db.commit()

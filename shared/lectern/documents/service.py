"""Documents: presigned uploads, the completion check, downloads, deletion, erasure.

The bytes never pass through a function: the client PUTs them to a presigned URL whose
signature binds the key (made here, never the client's filename), the content type and
the exact length. Completion checks the object before anything reads it, then queues it
for the ingest function. A document is its owner's alone: anyone else, admins included,
gets the same 404 as for a document that does not exist (``lectern.documents.access``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lectern.catalog import access as catalog_access
from lectern.config import get_settings
from lectern.core.ids import uuid7
from lectern.core.pagination import Page, keyset_page
from lectern.core.principal import Principal
from lectern.documents import access, quota, throttle
from lectern.documents.events import record_upload
from lectern.documents.models import Document, DocumentStatus
from lectern.documents.schemas import (
    CompleteOut,
    DocumentCreatedOut,
    DocumentIn,
    DocumentOut,
    DownloadOut,
    UploadOut,
)
from lectern.documents.verify import ObjectMismatch, charset, check_object, media_type
from lectern.errors import Conflict, PayloadTooLarge, UnsupportedMediaType
from lectern.queue.factory import get_queue
from lectern.storage.factory import get_storage

NOT_UPLOADED = "The upload has not been completed yet."
KEY_PREFIX = "documents/"
# Text is read as UTF-8 (ASCII is a part of it); no charset given means UTF-8.
_UTF8_CHARSETS = (None, "utf-8", "utf8", "us-ascii")
# Statuses past the completion check: completing again changes nothing.
_CHECKED = (DocumentStatus.processing, DocumentStatus.ready)


def object_key(owner_id: uuid.UUID, document_id: uuid.UUID) -> str:
    return f"{KEY_PREFIX}{owner_id}/{document_id}"


def content_disposition(filename: str) -> str:
    """``attachment`` with the name twice (RFC 6266): an ASCII fallback, then UTF-8."""
    fallback = "".join(
        c if 32 <= ord(c) < 127 and c not in '"\\%' else "_" for c in filename
    ).strip()
    encoded = quote(filename, safe="")
    return f"attachment; filename=\"{fallback or 'download'}\"; filename*=UTF-8''{encoded}"


def document_out(doc: Document) -> DocumentOut:
    return DocumentOut(
        id=doc.id,
        filename=doc.filename,
        content_type=doc.content_type,
        size_bytes=doc.size_bytes,
        course_id=doc.course_id,
        status=doc.status,
        chunk_count=doc.chunk_count,
        page_count=doc.page_count,
        error=doc.error,
        created_at=doc.created_at,
        updated_at=doc.updated_at,
    )


def create_document(
    db: Session, principal: Principal, data: DocumentIn, ip: str | None = None
) -> DocumentCreatedOut:
    """A pending document and its presigned PUT. Checked first, in this order: the
    declared size and type, the upload throttle, the course, the owner's quotas (under a
    lock held to the commit); a refusal writes nothing."""
    settings = get_settings()
    if data.size_bytes > settings.documents.max_bytes:
        raise PayloadTooLarge("size_bytes", f"must be at most {settings.documents.max_bytes} bytes")
    kind = media_type(data.content_type)
    accepted = sorted({media_type(t) for t in settings.documents.content_types})
    if kind not in accepted:
        raise UnsupportedMediaType("content_type", f"must be one of {', '.join(accepted)}")
    if kind.startswith("text/") and charset(data.content_type) not in _UTF8_CHARSETS:
        # Text is read as UTF-8; saying otherwise would only fail at completion.
        raise UnsupportedMediaType("content_type", "text must be UTF-8")
    throttle.check_uploads(str(principal.user_id), ip)
    if data.course_id is not None:
        catalog_access.course_for_view(db, principal, data.course_id)
    quota.reserve(db, principal.user_id, data.size_bytes)
    document_id = uuid7()
    key = object_key(principal.user_id, document_id)
    ttl = settings.documents.upload_url_ttl_seconds
    # Taken before signing, so the expiry given never runs past the URL's own.
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl)
    url = get_storage().presign_put(
        key, content_type=kind, size_bytes=data.size_bytes, expires_in=ttl
    )
    doc = Document(
        id=document_id,
        owner_id=principal.user_id,
        course_id=data.course_id,
        filename=data.filename,
        content_type=kind,
        size_bytes=data.size_bytes,
        object_key=key,
        status=DocumentStatus.pending,
    )
    db.add(doc)
    db.commit()
    return DocumentCreatedOut(
        id=document_id,
        status=DocumentStatus.pending,
        upload=UploadOut(
            url=url,
            headers={
                "Content-Type": kind,
                "Content-Length": str(data.size_bytes),
                "If-None-Match": "*",
            },
            expires_at=expires_at,
        ),
    )


def complete_document(db: Session, principal: Principal, document_id: uuid.UUID) -> CompleteOut:
    """Check the uploaded object and queue it for ingest.

    The row stays locked through the check, so two concurrent calls queue one message.
    The message is sent before the commit: if SQS refuses it, nothing changes (503). If
    the commit fails after the send, ingest finds the document pending and runs the same
    check itself (``lectern.documents.verify``) before reading a byte.
    """
    doc = access.document_for_owner(db, principal, document_id, lock=True)
    if doc.status in _CHECKED:
        status = doc.status
        db.rollback()
        return CompleteOut(status=status)
    try:
        etag = check_object(doc)
    except ObjectMismatch as mismatch:
        # The bytes are not what was declared: they must not stay where ingest can read
        # them. The owner may PUT again while the URL lives, then complete again.
        get_storage().delete_object(doc.object_key)
        doc.status = DocumentStatus.pending
        doc.error = mismatch.reason
        doc.etag = None
        db.commit()
        raise Conflict(mismatch.reason) from None
    doc.etag = etag
    doc.status = DocumentStatus.processing
    doc.error = None
    record_upload(db, doc)
    db.flush()
    try:
        get_queue().send([{"type": "process_document", "document_id": str(doc.id), "etag": etag}])
    except Exception:
        db.rollback()
        raise
    db.commit()
    return CompleteOut(status=DocumentStatus.processing)


def get_document(db: Session, principal: Principal, document_id: uuid.UUID) -> DocumentOut:
    return document_out(access.document_for_owner(db, principal, document_id))


def list_documents(
    db: Session, principal: Principal, *, limit: int, cursor: str | None
) -> Page[DocumentOut]:
    """The caller's documents, newest first, keyset-paginated on (created_at, id)."""
    return keyset_page(
        db,
        select(Document).where(access.documents_visible_to(principal)),
        Document.created_at,
        Document.id,
        limit=limit,
        cursor=cursor,
        out=document_out,
    )


def download_document(db: Session, principal: Principal, document_id: uuid.UUID) -> DownloadOut:
    doc = access.document_for_owner(db, principal, document_id)
    if doc.status == DocumentStatus.pending:
        raise Conflict(NOT_UPLOADED)
    ttl = get_settings().documents.download_url_ttl_seconds
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl)
    url = get_storage().presign_get(
        doc.object_key, expires_in=ttl, content_disposition=content_disposition(doc.filename)
    )
    return DownloadOut(url=url, expires_at=expires_at)


def delete_document(db: Session, principal: Principal, document_id: uuid.UUID) -> None:
    """Delete the row (its chunks go by ON DELETE CASCADE) and the object, as one unit.

    The row goes first inside the transaction, the object next, the commit last: if the
    store is down the transaction rolls back and nothing has changed (503).
    """
    doc = access.document_for_owner(db, principal, document_id, lock=True)
    key = doc.object_key
    db.delete(doc)
    db.flush()
    try:
        get_storage().delete_object(key)
    except Exception:
        db.rollback()
        raise
    db.commit()


def purge_abandoned_uploads(db: Session, *, older_than: timedelta, batch: int = 500) -> int:
    """Delete documents never completed (and any object sent to them) after ``older_than``.

    For the scheduled upkeep, in the caller's transaction: rows first, then the objects,
    and the caller commits; storage down raises, and the caller rolls back. Rows locked
    by a running completion are skipped, not waited for.
    """
    cutoff = datetime.now(UTC) - older_than
    keys = list(
        db.scalars(
            delete(Document)
            .where(
                Document.id.in_(
                    select(Document.id)
                    .where(
                        Document.status == DocumentStatus.pending,
                        Document.created_at < cutoff,
                    )
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            .returning(Document.object_key)
        )
    )
    get_storage().delete_objects(keys)
    return len(keys)

"""What one learner may keep: a number of documents and the bytes they take.

Counted from the owner's document rows (pending uploads included: their room is taken
when the URL is handed out) under a transaction-scoped advisory lock per owner, taken
before the count and held to the commit that adds the row, so concurrent uploads cannot
both take the last place.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.documents.models import Document
from lectern.errors import QuotaExceeded


class DocumentQuotaExceeded(QuotaExceeded):
    slug, title = "document-quota-exceeded", "Document quota exceeded"


class StorageQuotaExceeded(QuotaExceeded):
    slug, title = "storage-quota-exceeded", "Storage quota exceeded"


def _lock_owner(db: Session, owner_id: uuid.UUID) -> None:
    db.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"lectern.documents.quota:{owner_id}"},
    )


def reserve(db: Session, owner_id: uuid.UUID, size_bytes: int) -> None:
    """Refuse a new document of ``size_bytes`` past the owner's quotas; otherwise the
    lock stays held until the caller's transaction ends."""
    settings = get_settings().documents
    _lock_owner(db, owner_id)
    count, used = db.execute(
        select(func.count(), func.coalesce(func.sum(Document.size_bytes), 0)).where(
            Document.owner_id == owner_id
        )
    ).one()
    if count >= settings.quota_documents:
        raise DocumentQuotaExceeded(
            f"You have {count:,} documents, the most one learner may keep "
            f"({settings.quota_documents:,}); delete some to upload more.",
            limit=settings.quota_documents,
            used=count,
        )
    if used + size_bytes > settings.quota_bytes:
        raise StorageQuotaExceeded(
            f"Your documents take {used:,} bytes; with this one ({size_bytes:,} bytes) they "
            f"would pass the {settings.quota_bytes:,} bytes one learner may keep. Delete some "
            "to make room.",
            limit=settings.quota_bytes,
            used=int(used),
            field="size_bytes",
        )

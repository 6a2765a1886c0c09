"""The analytics event of an accepted upload, recorded by whichever step accepts it first:
``complete``, or ingest when the bucket's notification arrives before it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from lectern.analytics.events import NewEvent, record_events
from lectern.analytics.models import EventType
from lectern.documents.models import Document


def record_upload(db: Session, doc: Document) -> None:
    record_events(
        db,
        [
            NewEvent(
                type=EventType.document_uploaded,
                occurred_at=datetime.now(UTC),
                user_id=doc.owner_id,
                course_id=doc.course_id,
                context={
                    "document_id": str(doc.id),
                    "content_type": doc.content_type,
                    "size_bytes": doc.size_bytes,
                },
            )
        ],
    )

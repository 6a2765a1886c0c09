"""The bucket keys of a user's documents: erasure deletes the objects with the rows."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.documents.models import Document


def object_keys(db: Session, user_id: uuid.UUID) -> list[str]:
    return list(db.scalars(select(Document.object_key).where(Document.owner_id == user_id)))

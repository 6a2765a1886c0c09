"""Who may see or change a document: its owner alone, everywhere.

Anyone else, admins included, gets the same 404 as for a document that does not exist:
an uploaded file is private (semantic search applies the same rule to its chunks, in
``lectern.ai.retrieval``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from lectern.core.principal import Principal
from lectern.documents.models import Document
from lectern.errors import NotFound

DOCUMENT_NOT_FOUND = "No such document."


def documents_visible_to(principal: Principal) -> ColumnElement[bool]:
    """The filter of every document listing: the caller's own."""
    return Document.owner_id == principal.user_id


def document_for_owner(
    db: Session, principal: Principal, document_id: uuid.UUID, *, lock: bool = False
) -> Document:
    query = select(Document).where(Document.id == document_id, documents_visible_to(principal))
    doc = db.scalar(query.with_for_update() if lock else query)
    if doc is None:
        raise NotFound(DOCUMENT_NOT_FOUND)
    return doc

"""Who may see or change a study item: its owner alone. Anyone else, admins included,
gets a 404, so an item's existence does not leak."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.core.principal import Principal
from lectern.errors import NotFound
from lectern.study.models import StudyItem

ITEM_NOT_FOUND = "No such study item."


def own_item(
    db: Session, principal: Principal, item_id: uuid.UUID, *, lock: bool = False
) -> StudyItem:
    stmt = select(StudyItem).where(StudyItem.id == item_id, StudyItem.user_id == principal.user_id)
    if lock:
        stmt = stmt.with_for_update()
    item = db.scalar(stmt)
    if item is None:
        raise NotFound(ITEM_NOT_FOUND)
    return item

"""Full-text search for one caller: who they are decides what the index may return."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.core.principal import Principal, UserRole
from lectern.errors import InvalidField
from lectern.progress.models import Enrollment
from lectern.search.factory import get_search_index
from lectern.search.port import EntityType, Viewer, entity_types, rules_for
from lectern.search.schemas import MAX_LIMIT, MAX_QUERY, SearchHitOut, SearchOut, SearchType


def viewer_for(db: Session, principal: Principal | None, types: tuple[EntityType, ...]) -> Viewer:
    if principal is None:
        return Viewer()
    if principal.role == UserRole.admin:
        return Viewer(user_id=principal.user_id, is_admin=True)
    enrolled: tuple[uuid.UUID, ...] = ()
    if any(rule.enrolled for rule in rules_for(types).values()):
        enrolled = tuple(
            db.scalars(select(Enrollment.course_id).where(Enrollment.user_id == principal.user_id))
        )
    return Viewer(user_id=principal.user_id, enrolled_course_ids=enrolled)


def search(
    db: Session,
    principal: Principal | None,
    q: str,
    *,
    type: SearchType | None = None,
    limit: int = 20,
) -> SearchOut:
    query = " ".join(q.split())
    if not query:
        raise InvalidField("q", "must hold at least one word")
    if len(query) > MAX_QUERY:
        raise InvalidField("q", f"at most {MAX_QUERY} characters")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidField("limit", f"between 1 and {MAX_LIMIT}")
    types: tuple[EntityType, ...] = (type,) if type else entity_types()
    if principal is None:
        # Anonymous callers see published entries only: no index call for the rest.
        types = tuple(t for t, rule in rules_for(types).items() if rule.published)
    if not types:
        return SearchOut(hits=[], found=0)
    viewer = viewer_for(db, principal, types)
    hits, found = get_search_index(db).search(query, types, viewer, limit)
    return SearchOut(
        hits=[
            SearchHitOut(type=h.type, id=h.id, title=h.title, snippet=h.snippet, score=h.score)
            for h in hits
        ],
        found=found,
    )

"""Function `search`: full-text search over courses, lessons and questions."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

from typing import Annotated

from fastapi import APIRouter, Query, Response

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import OPTIONAL_AUTH, DbSession, OptionalPrincipal
from lectern.api.responses import problems
from lectern.search import service
from lectern.search.schemas import DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY, SearchOut, SearchType

router = APIRouter(prefix="/v1", tags=["search"], responses=problems(401, 422, 503))


@router.get("/search", openapi_extra=OPTIONAL_AUTH)
def search(
    *,
    db: DbSession,
    principal: OptionalPrincipal,
    response: Response,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, description="Words to find")],
    type: Annotated[SearchType | None, Query(description="Only this kind of object")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> SearchOut:
    """What the caller may see: published courses (and their own); lessons of their own
    courses and of those they are enrolled in; their own questions. Admins see all."""
    # The answer depends on who asks: no shared cache may keep it.
    response.headers["Cache-Control"] = "private, no-store"
    return service.search(db, principal, q, type=type, limit=limit)


app = create_app(router, title="Lectern search")
handler = lambda_handler(app)

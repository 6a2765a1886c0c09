"""Function `audit`: what admins read about operations: the audit trail, and the
database's heaviest statements."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import AdminPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.audit import service
from lectern.audit.schemas import AuditEntryOut, AuditQuery
from lectern.core.pagination import DEFAULT_PAGE_SIZE, Page
from lectern.core.times import DateTimeText
from lectern.db.monitoring import top_statements

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=problems(401, 422, 503))


@router.get("/audit", responses=problems(403))
def list_audit(
    *,
    principal: AdminPrincipal,
    db: DbSession,
    actor: uuid.UUID | None = None,
    target: uuid.UUID | None = None,
    from_: Annotated[DateTimeText | None, Query(alias="from")] = None,
    to: DateTimeText | None = None,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[AuditEntryOut]:
    """The audit trail, newest first (``from`` inclusive, ``to`` exclusive)."""
    query = AuditQuery(actor=actor, target=target, from_=from_, to=to)
    return service.list_entries(db, principal, query, limit=limit, cursor=cursor)


class StatementOut(BaseModel):
    id: str
    statement: str = Field(description="Normalized: literals as ?, no parameters.")
    calls: int
    total_ms: float
    mean_ms: float
    rows: int


class StatementsOut(BaseModel):
    available: bool = Field(description="Whether pg_stat_statements could be read.")
    reason: str | None = Field(description="Why not, when it could not.")
    items: list[StatementOut]


@router.get("/db/statements", responses=problems(403))
def list_statements(
    _admin: AdminPrincipal,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> StatementsOut:
    """The database's statements with the most total execution time (``pg_stat_statements``);
    ``available: false`` with the reason when the extension is not there."""
    return StatementsOut.model_validate(top_statements(db, limit))


app = create_app(router, title="Lectern audit")
handler = lambda_handler(app)

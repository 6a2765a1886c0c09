"""Writing and reading the audit trail.

``record`` adds one row in the caller's transaction (flushed, not committed), so the row
commits with the action or not at all. The request id and source address come from the
request being served (``lectern.core.request``); a scheduled task has neither.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lectern.audit.models import AuditEntry
from lectern.audit.schemas import AuditEntryOut, AuditQuery
from lectern.core.ids import uuid7
from lectern.core.pagination import Page, keyset_page
from lectern.core.principal import Principal
from lectern.core.registry import get_registry
from lectern.core.request import current_request
from lectern.db.errors import sqlstate
from lectern.db.partitions import NO_PARTITION, ensure_monthly

TABLE = "audit_log"


def record(
    db: Session,
    action: str,
    *,
    actor_id: uuid.UUID | None,
    target_type: str | None = None,
    target_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    personal: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Add the audit row of ``action`` (a registered ``AuditAction``) to the caller's
    transaction. ``details`` holds ids, enums and counts; anything naming a person goes
    in ``personal``, which erasure clears."""
    if action not in get_registry().audit_actions:
        raise ValueError(f"audit action {action!r} is not registered")
    request = current_request()
    entry_id = uuid7()
    occurred_at = datetime.now(UTC)
    values = {
        "id": entry_id,
        "occurred_at": occurred_at,
        "action": action,
        "actor_id": actor_id,
        "target_type": target_type,
        "target_id": target_id,
        "request_id": request.request_id if request else None,
        "source_ip": request.source_ip if request else None,
        "details": details or {},
        "personal": personal,
    }
    statement = insert(AuditEntry).values(**values)
    try:
        with db.begin_nested():
            db.execute(statement)
    except DBAPIError as exc:
        # The month has no partition yet (a fresh or long-idle database): make it.
        if sqlstate(exc) != NO_PARTITION:
            raise
        month = occurred_at.date()
        ensure_monthly(db.connection(), TABLE, month, month)
        db.execute(statement)
    return entry_id


def scrub_user(db: Session, user_id: uuid.UUID) -> None:
    """Erasure: keep the user's rows (as actor or target) and their ids, clear the
    source address and personal fields."""
    db.execute(
        update(AuditEntry)
        .where(or_(AuditEntry.actor_id == user_id, AuditEntry.target_id == user_id))
        .where(or_(AuditEntry.source_ip.is_not(None), AuditEntry.personal.is_not(None)))
        .values(source_ip=None, personal=None)
    )


def _out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(entry, from_attributes=True)


def list_entries(
    db: Session, principal: Principal, query: AuditQuery, *, limit: int, cursor: str | None
) -> Page[AuditEntryOut]:
    """The trail newest first, filtered by actor, target and time; reading it is itself
    recorded (committed with the read)."""
    statement = select(AuditEntry)
    if query.actor is not None:
        statement = statement.where(AuditEntry.actor_id == query.actor)
    if query.target is not None:
        statement = statement.where(AuditEntry.target_id == query.target)
    if query.from_ is not None:
        statement = statement.where(AuditEntry.occurred_at >= query.from_)
    if query.to is not None:
        statement = statement.where(AuditEntry.occurred_at < query.to)
    page = keyset_page(
        db,
        statement,
        AuditEntry.occurred_at,
        AuditEntry.id,
        limit=limit,
        cursor=cursor,
        out=_out,
    )
    record(
        db,
        "audit.read",
        actor_id=principal.user_id,
        target_type="user" if query.target or query.actor else None,
        target_id=query.target or query.actor,
        details={"filters": query.filters()},
    )
    db.commit()
    return page

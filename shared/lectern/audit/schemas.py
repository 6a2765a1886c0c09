"""The audit trail as admins read it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from lectern.errors import InvalidField


class AuditEntryOut(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    action: str
    actor_id: uuid.UUID | None
    target_type: str | None
    target_id: uuid.UUID | None
    request_id: str | None
    source_ip: str | None
    details: dict[str, Any] = Field(default_factory=dict)
    personal: dict[str, Any] | None = None


class AuditQuery(BaseModel):
    actor: uuid.UUID | None = None
    target: uuid.UUID | None = None
    from_: datetime | None = None
    to: datetime | None = None

    @model_validator(mode="after")
    def _check(self) -> AuditQuery:
        for name, value in (("from", self.from_), ("to", self.to)):
            if value is not None and value.tzinfo is None:
                raise InvalidField(name, "give a time zone (e.g. 2026-01-01T00:00:00Z)")
        if self.from_ and self.to and self.from_ >= self.to:
            raise InvalidField("to", "must be after 'from'")
        return self

    def filters(self) -> dict[str, str]:
        named = {"actor": self.actor, "target": self.target, "from": self.from_, "to": self.to}
        return {
            k: (v.isoformat() if isinstance(v, datetime) else str(v)) for k, v in named.items() if v
        }

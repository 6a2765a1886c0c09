"""The analytics port: where events are written and daily rollups computed and read.

Everything analytics does to storage goes through ``AnalyticsStore``, so moving events
to ClickHouse when Postgres is outgrown is a second adapter, not a rewrite (see README).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from lectern.analytics.events import NewEvent


class AnalyticsStore(Protocol):
    def record(self, db: Session, events: Sequence[NewEvent]) -> int:
        """Write a batch in the caller's transaction; one statement per batch."""

    def days_received_between(
        self, db: Session, since: datetime | None, until: datetime
    ) -> list[date]:
        """The days (of ``occurred_at``, UTC) of events received in (since, until]."""

    def rollup_days(self, db: Session, days: Sequence[date]) -> int:
        """Recompute the daily rollups of ``days`` from their events: rerunning a day
        gives the same numbers. Returns the rollup rows written."""

    def daily_totals(self, db: Session, first: date, last: date) -> list[dict[str, Any]]:
        """Per day and event type, all learners."""

    def daily_courses(
        self, db: Session, first: date, last: date, owner_id: uuid.UUID | None
    ) -> list[dict[str, Any]]:
        """Per day, course and event type; only ``owner_id``'s courses unless None."""

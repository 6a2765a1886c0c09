"""The Postgres adapter of the analytics store."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from lectern.analytics.events import NewEvent, record_events


class PostgresAnalytics:
    """Events in monthly partitions of one table, rollups in three small tables."""

    def record(self, db: Session, events: Sequence[NewEvent]) -> int:
        return record_events(db, events)

    def days_received_between(
        self, db: Session, since: datetime | None, until: datetime
    ) -> list[date]:
        from lectern.analytics.rollups import days_received_between

        return days_received_between(db, since, until)

    def rollup_days(self, db: Session, days: Sequence[date]) -> int:
        from lectern.analytics.rollups import rollup_days

        return rollup_days(db, days)

    def daily_totals(self, db: Session, first: date, last: date) -> list[dict[str, Any]]:
        from lectern.analytics.reports import daily_totals

        return daily_totals(db, first, last)

    def daily_courses(
        self, db: Session, first: date, last: date, owner_id: uuid.UUID | None
    ) -> list[dict[str, Any]]:
        from lectern.analytics.reports import daily_courses

        return daily_courses(db, first, last, owner_id)

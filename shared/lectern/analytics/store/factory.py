"""The analytics store in use: Postgres, the one adapter today."""

from __future__ import annotations

from lectern.analytics.store.port import AnalyticsStore
from lectern.core.cache import cached_client


@cached_client
def get_store() -> AnalyticsStore:
    from lectern.analytics.store.postgres import PostgresAnalytics

    return PostgresAnalytics()

"""The analytics store in use: Postgres, the one adapter today."""

from __future__ import annotations

from functools import lru_cache

from lectern.analytics.store.port import AnalyticsStore


@lru_cache(maxsize=1)
def get_store() -> AnalyticsStore:
    from lectern.analytics.store.postgres import PostgresAnalytics

    return PostgresAnalytics()

"""Powertools Logger and Metrics shared by every function (JSON logs, EMF metrics)."""

from __future__ import annotations

import os
from functools import lru_cache

from aws_lambda_powertools import Logger, Metrics


# Plain lru_cache, not lectern.core.cache: modules keep these from import time
# (``logger = get_logger()``, the handlers' decorators), so a reset would only make a
# second logger and metrics set beside the ones in use.
@lru_cache(maxsize=1)
def get_logger() -> Logger:
    return Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "lectern"))


@lru_cache(maxsize=1)
def get_metrics() -> Metrics:
    return Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Lectern"))


def count(name: str, value: float = 1) -> None:
    """Add one to a business metric; flushed as EMF at the end of the invocation."""
    from aws_lambda_powertools.metrics import MetricUnit

    get_metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


# What the alarms and dashboard read when a dependency is down (DependencyUnavailable,
# or the database failing under SQLAlchemy): anything else is DependencyUnavailable.
UNAVAILABLE_METRICS = {"database": "DatabaseUnavailable", "kv": "KvUnavailable"}


def count_unavailable(dependency: str) -> None:
    count(UNAVAILABLE_METRICS.get(dependency, "DependencyUnavailable"))

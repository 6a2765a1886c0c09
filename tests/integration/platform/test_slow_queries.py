"""Slow statements are logged with the route and their shape, never their values."""

from __future__ import annotations

import json
import logging

from sqlalchemy import text


class _Route:
    path = "/v1/things/{id}"


class _Collect(logging.Handler):
    """The records themselves: the logger's own stream was bound at its creation, before
    any capture of this test."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_statement_over_the_threshold_is_logged_with_route_and_shape(settings_env):
    from lectern.config import get_settings
    from lectern.core.request import RequestInfo, begin_request, end_request
    from lectern.db.engine import make_engine
    from lectern.observability import get_logger
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_DB_SLOW_QUERY_MS", "50")
    reset_clients()
    engine = make_engine(get_settings())
    token = begin_request(RequestInfo("req-slow", "192.0.2.1", scope={"route": _Route()}))
    collect = _Collect()
    get_logger().addHandler(collect)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1 WHERE 'fast' = :v"), {"v": "fast"})
            conn.execute(text("SELECT pg_sleep(0.1), 'a-secret-literal', :p"), {"p": "bound-value"})
    finally:
        get_logger().removeHandler(collect)
        end_request(token)
        engine.dispose()
    slow = [r for r in collect.records if r.getMessage() == "slow query"]
    assert len(slow) == 1
    [record] = slow
    fields = {k: getattr(record, k, None) for k in ("route", "duration_ms", "statement")}
    assert fields["route"] == "/v1/things/{id}" and fields["duration_ms"] >= 50
    assert fields["statement"].startswith("SELECT pg_sleep(?), ?,")
    shown = json.dumps(fields)
    assert "a-secret-literal" not in shown and "bound-value" not in shown

"""Slow statements are logged with the route and their shape, never their values."""

from __future__ import annotations

import json

from sqlalchemy import text


class _Route:
    path = "/v1/things/{id}"


def _records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_a_statement_over_the_threshold_is_logged_with_route_and_shape(settings_env, capsys):
    from lectern.config import get_settings
    from lectern.core.request import RequestInfo, begin_request, end_request
    from lectern.db.engine import make_engine
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_DB_SLOW_QUERY_MS", "50")
    reset_clients()
    engine = make_engine(get_settings())
    token = begin_request(RequestInfo("req-slow", "192.0.2.1", scope={"route": _Route()}))
    try:
        capsys.readouterr()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1 WHERE 'fast' = :v"), {"v": "fast"})
            conn.execute(text("SELECT pg_sleep(0.1), 'a-secret-literal', :p"), {"p": "bound-value"})
    finally:
        end_request(token)
        engine.dispose()
    slow = [r for r in _records(capsys.readouterr().out) if r.get("message") == "slow query"]
    assert len(slow) == 1
    [record] = slow
    assert record["route"] == "/v1/things/{id}" and record["duration_ms"] >= 50
    assert record["statement"].startswith("SELECT pg_sleep(?), ?,")
    assert "a-secret-literal" not in json.dumps(record) and "bound-value" not in json.dumps(record)

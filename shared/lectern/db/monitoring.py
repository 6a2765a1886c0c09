"""What the database costs: slow statements logged as they happen, and the heaviest
statements from ``pg_stat_statements`` when the server has it.

A statement slower than ``database.slow_query_ms`` is logged (warning, ``slow query``)
with the route being served and the statement normalized: literals replaced by ``?``,
whitespace folded, at most ``MAX_STATEMENT_CHARS``; bound parameters are never logged.
"""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lectern.core.request import current_request

MAX_STATEMENT_CHARS = 1000
_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$])-?\d+(?:\.\d+)?(?![\w$])")
_SPACE = re.compile(r"\s+")


def normalize(statement: str) -> str:
    """The statement's shape: string and number literals as ``?``, one space apart."""
    shape = _NUMBER.sub("?", _STRING.sub("?", statement))
    return _SPACE.sub(" ", shape).strip()[:MAX_STATEMENT_CHARS]


def log_slow_queries(engine: Engine, threshold_ms: int) -> None:
    """Time every statement on ``engine``; log those over ``threshold_ms``."""

    @event.listens_for(engine, "before_cursor_execute")
    def _started(
        _conn: Any, _cursor: Any, _stmt: str, _params: Any, context: Any, _many: bool
    ) -> None:
        context._lectern_started = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _finished(
        _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        started = getattr(context, "_lectern_started", None)
        if started is None:
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        if elapsed_ms < threshold_ms:
            return
        from lectern.observability import count, get_logger

        request = current_request()
        get_logger().warning(
            "slow query",
            duration_ms=round(elapsed_ms, 1),
            route=(request.route if request else None) or "(no request)",
            statement=normalize(statement),
        )
        count("SlowQuery")


TOP_STATEMENTS = text(
    "SELECT queryid::text AS id, query, calls, total_exec_time, mean_exec_time, rows "
    "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
    "WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT :limit"
)


def top_statements(db: Session, limit: int) -> dict[str, Any]:
    """The statements with the most total time, or why there are none: the extension is
    optional (Neon has it; the embedded server does not)."""
    installed = db.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"))
    if not installed:
        return {
            "available": False,
            "reason": "pg_stat_statements is not installed in this database",
            "items": [],
        }
    try:
        with db.begin_nested():
            rows = db.execute(TOP_STATEMENTS, {"limit": limit}).mappings().all()
    except DBAPIError as exc:
        # Installed but not loaded (shared_preload_libraries), or not readable by us.
        return {
            "available": False,
            "reason": f"pg_stat_statements unreadable: {type(exc.orig).__name__}",
            "items": [],
        }
    return {
        "available": True,
        "reason": None,
        "items": [
            {
                "id": r["id"],
                "statement": normalize(r["query"]),
                "calls": int(r["calls"]),
                "total_ms": round(float(r["total_exec_time"]), 3),
                "mean_ms": round(float(r["mean_exec_time"]), 3),
                "rows": int(r["rows"]),
            }
            for r in rows
        ],
    }

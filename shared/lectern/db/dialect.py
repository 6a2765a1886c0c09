"""pg8000 with one round trip per COMMIT, ROLLBACK and checkout ping.

pg8000 sends COMMIT and ROLLBACK like any statement through the extended protocol:
Parse, then Describe, then Bind and Execute, each awaited, three round trips for a
statement with no parameters. The simple query protocol sends it in one. Every write
request ends with a COMMIT and every read request with a ROLLBACK, so against Neon
this is two network round trips off each request; and the pre-ping at checkout, which
pg8000 sends as BEGIN then SELECT 1, goes as one query. ``make_engine`` picks this
dialect for ``postgresql+pg8000`` URLs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.pg8000 import PGDialect_pg8000

NAME = "postgresql+lectern_pg8000"


class Pg8000Dialect(PGDialect_pg8000):
    # Compiles as its parent does, so SQLAlchemy may cache compiled statements for it.
    supports_statement_cache = True

    def do_commit(self, dbapi_connection: Any) -> None:
        dbapi_connection.execute_simple("COMMIT")

    def do_ping(self, dbapi_connection: Any) -> bool:
        if dbapi_connection.autocommit or dbapi_connection._in_transaction:
            return bool(super().do_ping(dbapi_connection))
        # The transaction the request's first statement would open, opened by the ping.
        dbapi_connection.execute_simple("BEGIN; SELECT 1")
        return True

    def do_rollback(self, dbapi_connection: Any) -> None:
        # As pg8000's own rollback: nothing to send outside a transaction.
        if dbapi_connection._in_transaction:
            dbapi_connection.execute_simple("ROLLBACK")


registry.register("postgresql.lectern_pg8000", __name__, "Pg8000Dialect")

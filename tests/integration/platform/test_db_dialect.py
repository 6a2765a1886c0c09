"""The engine's pg8000 dialect: one round trip per statement, with pg8000's results and
errors, against the embedded Postgres."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, exc, text
from sqlalchemy.engine import make_url

from lectern.db import dialect
from lectern.db.engine import get_engine
from local.stack import LocalStack


@pytest.fixture(scope="module")
def engines(stack: LocalStack) -> Iterator[dict[str, Engine]]:
    """Ours beside plain pg8000's, on the same database."""
    url = make_url(stack.env["LECTERN_DATABASE_URL"])
    made = {
        "ours": create_engine(url.set(drivername=dialect.NAME)),
        "pg8000": create_engine(url.set(drivername="postgresql+pg8000")),
    }
    yield made
    for engine in made.values():
        engine.dispose()


class Flushes:
    """Counts what the connection sends: each flush is a round trip, as the driver
    then waits for the answer."""

    def __init__(self, connection: Connection) -> None:
        raw: Any = connection.connection.dbapi_connection
        self.sock, self.count = raw._sock, 0
        self._flush = self.sock.flush

        def counted() -> None:
            self.count += 1
            self._flush()

        self.sock.flush = counted


def test_the_app_engine_uses_it(stack):
    assert get_engine().dialect.name == "postgresql"
    assert isinstance(get_engine().dialect, dialect.Pg8000Dialect)
    with get_engine().connect() as conn:
        assert isinstance(conn.connection.dbapi_connection, dialect.Connection)


VALUES: list[tuple[str, dict[str, Any]]] = [
    (
        "SELECT CAST(:n AS int) + 1 AS n, CAST(:s AS text) AS s, CAST(:none AS text) AS none,"
        " CAST(:ids AS uuid[]) AS ids, CAST(:at AS timestamptz) AS at, :s || '%' AS pct",
        {
            "n": 41,
            "s": "ünïcode 'quoted' $1 %s",
            "none": None,
            "ids": [uuid.UUID(int=1), uuid.UUID(int=2)],
            "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        },
    ),
    ("SELECT g FROM generate_series(1, CAST(:n AS int)) AS g", {"n": 300}),
    ("SELECT 1 AS one WHERE CAST(:n AS int) < 0", {"n": 1}),
]


@pytest.mark.parametrize(("sql", "params"), VALUES)
def test_results_match_pg8000s(engines, sql, params):
    results = {}
    for name, engine in engines.items():
        with engine.connect() as conn:
            result = conn.execute(text(sql), params)
            results[name] = (list(result.keys()), result.all())
    assert results["ours"] == results["pg8000"]
    assert results["ours"][1] or "WHERE" in sql  # the first two return rows


def test_one_round_trip_per_statement_and_the_begin_rides_along(engines):
    with engines["ours"].connect() as conn:
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS t (id int PRIMARY KEY, v text)")
        conn.commit()
        sent = Flushes(conn)
        conn.execute(text("INSERT INTO t VALUES (:id, :v)"), {"id": 1, "v": "a"})
        assert sent.count == 1  # BEGIN and the insert together
        assert conn.connection.dbapi_connection._in_transaction
        rows = conn.execute(text("SELECT v FROM t WHERE id = :id"), {"id": 1}).all()
        assert rows == [("a",)] and sent.count == 2
        conn.rollback()
        assert sent.count == 3
        # The BEGIN made it a transaction: the rollback took the insert with it.
        assert conn.execute(text("SELECT count(*) FROM t WHERE id > :z"), {"z": 0}).scalar() == 0


def test_pg8000_takes_three_round_trips_and_a_begin(engines):
    """What the dialect saves, measured the same way on plain pg8000."""
    with engines["pg8000"].connect() as conn:
        conn.commit()
        sent = Flushes(conn)
        conn.execute(text("SELECT CAST(:n AS int)"), {"n": 1}).all()
        assert sent.count == 4


def test_rowcount_and_returning(engines):
    with engines["ours"].connect() as conn:
        conn.exec_driver_sql("CREATE TEMP TABLE r (id int, v text)")
        inserted = conn.execute(
            text("INSERT INTO r SELECT g, 'x' FROM generate_series(1, :n) g"), {"n": 5}
        )
        assert inserted.rowcount == 5
        updated = conn.execute(
            text("UPDATE r SET v = :v WHERE id <= :id RETURNING id"), {"v": "y", "id": 2}
        )
        assert sorted(updated.scalars()) == [1, 2]
        conn.rollback()


def test_errors_map_as_pg8000s_and_the_connection_recovers(engines):
    with engines["ours"].connect() as conn:
        conn.exec_driver_sql("CREATE TEMP TABLE u (id int PRIMARY KEY)")
        conn.commit()
        conn.execute(text("INSERT INTO u VALUES (:id)"), {"id": 1})
        with pytest.raises(exc.IntegrityError) as duplicate:
            conn.execute(text("INSERT INTO u VALUES (:id)"), {"id": 1})
        assert duplicate.value.orig.args[0]["C"] == "23505"
        conn.rollback()
        with pytest.raises(exc.ProgrammingError) as bad_input:
            conn.execute(text("SELECT CAST(:n AS int)"), {"n": "not a number"})
        assert bad_input.value.orig.args[0]["C"] == "22P02"
        conn.rollback()
        with pytest.raises(exc.ProgrammingError) as syntax:  # fails at Parse
            conn.execute(text("SELEC CAST(:n AS int)"), {"n": 1})
        assert syntax.value.orig.args[0]["C"] == "42601"
        conn.rollback()
        # Nothing was left unread on the socket: the next answers are the right ones.
        assert conn.execute(text("SELECT CAST(:n AS int) * 2"), {"n": 21}).scalar() == 42
        assert conn.execute(text("SELECT count(*) FROM u WHERE id = :id"), {"id": 1}).scalar() == 0


def test_autocommit_sends_no_begin(engines):
    with engines["ours"].connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT CAST(:n AS int)"), {"n": 1})
        assert not conn.connection.dbapi_connection._in_transaction


def test_numbered_placeholders_leave_quoted_text():
    assert dialect.numbered("SELECT %s, '%s', 50 %% 7, %s") == "SELECT $1, '%s', 50 % 7, $2"


def _prepared(conn: Connection) -> set[str]:
    return set(conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars())


def test_a_statement_run_often_is_prepared_once_and_still_one_round_trip(engines):
    sql = "SELECT g, CAST(:tag AS text) FROM generate_series(1, CAST(:n AS int)) AS g"
    with engines["ours"].connect() as conn:
        got = [conn.execute(text(sql), {"n": n, "tag": "t"}).all() for n in range(5)]
        assert got == [[(g, "t") for g in range(1, n + 1)] for n in range(5)]
        assert sum("generate_series" in s for s in _prepared(conn)) == 1
        sent = Flushes(conn)
        assert conn.execute(text(sql), {"n": 2, "tag": None}).all() == [(1, None), (2, None)]
        assert sent.count == 1
        conn.rollback()


def test_the_least_recently_run_are_closed_past_the_cap(engines, monkeypatch):
    monkeypatch.setattr(dialect, "PREPARED_MAX", 2)
    mark = uuid.uuid4().hex
    with engines["ours"].connect() as conn:
        conn.connection.dbapi_connection._prepared.clear()  # other tests' statements
        for n in range(3):
            for _ in range(dialect.PREPARE_AFTER):
                conn.execute(text(f"SELECT CAST(:v AS int) + {n} AS x{mark}"), {"v": 1})
        conn.execute(text("SELECT CAST(:v AS int)"), {"v": 1})  # carries the Close
        kept = {s for s in _prepared(conn) if mark in s}
        assert kept == {f"SELECT CAST($1 AS int) + {n} AS x{mark}" for n in (1, 2)}
        conn.rollback()


def test_failures_leave_the_prepared_statements_usable(engines):
    with engines["ours"].connect() as conn:
        table = f"p{uuid.uuid4().hex}"
        conn.exec_driver_sql(f"CREATE TEMP TABLE {table} (id int PRIMARY KEY)")
        conn.commit()
        insert = text(f"INSERT INTO {table} VALUES (:id)")  # noqa: S608 - a fixed name
        for n in range(dialect.PREPARE_AFTER):
            conn.execute(insert, {"id": n})
        conn.commit()
        with pytest.raises(exc.IntegrityError):  # fails at Execute: the statement stays
            conn.execute(insert, {"id": 0})
        conn.rollback()
        conn.execute(insert, {"id": 10})
        conn.commit()
        assert any(f"INSERT INTO {table}" in s for s in _prepared(conn))
        for _ in range(dialect.PREPARE_AFTER + 1):  # fails at Parse: nothing kept
            with pytest.raises(exc.ProgrammingError):
                conn.execute(text("SELEC CAST(:n AS int)"), {"n": 1})
            conn.rollback()
        assert not any("SELEC " in s for s in _prepared(conn))
        count = text(f"SELECT count(*) FROM {table} WHERE id >= :z")  # noqa: S608
        assert conn.execute(count, {"z": 0}).scalar() == 4


@pytest.mark.parametrize("change", ["ALTER TABLE {table} ADD COLUMN extra int", "DEALLOCATE ALL"])
def test_a_stale_prepared_statement_fails_once_then_is_parsed_anew(engines, change):
    """After DDL that changes its result, or when the server forgot it (a pooler's
    reset), the next run fails and the one after parses it again."""
    with engines["ours"].connect() as conn:
        table = f"s{uuid.uuid4().hex}"
        conn.exec_driver_sql(f"CREATE TEMP TABLE {table} (id int)")
        conn.exec_driver_sql(f"INSERT INTO {table} VALUES (1)")  # noqa: S608
        conn.commit()
        query = text(f"SELECT * FROM {table} WHERE id >= :z")  # noqa: S608
        for _ in range(dialect.PREPARE_AFTER):
            assert conn.execute(query, {"z": 0}).all() == [(1,)]
        conn.exec_driver_sql(change.format(table=table))
        conn.commit()
        with pytest.raises(exc.DBAPIError):
            conn.execute(query, {"z": 0})
        conn.rollback()
        assert conn.execute(query, {"z": 0}).all()[0][0] == 1


def test_prepare_after_zero_never_prepares(stack):
    url = make_url(stack.env["LECTERN_DATABASE_URL"]).set(drivername=dialect.NAME)
    engine = create_engine(url, connect_args={"prepare_after": 0})
    try:
        with engine.connect() as conn:
            mark = uuid.uuid4().hex
            for _ in range(dialect.PREPARE_AFTER + 2):
                conn.execute(text(f"SELECT CAST(:v AS int) AS x{mark}"), {"v": 1})
            assert not any(mark in s for s in _prepared(conn))
    finally:
        engine.dispose()


def test_the_app_engine_takes_the_setting(settings_env):
    from lectern.config import get_settings
    from lectern.db.engine import make_engine
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_DB_PREPARE_AFTER", "0")
    reset_clients()
    engine = make_engine(get_settings())
    try:
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection._prepare_after == 0
    finally:
        engine.dispose()

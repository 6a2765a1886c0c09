"""pg8000 with one round trip per statement, COMMIT, ROLLBACK and checkout ping.

pg8000 sends a statement with parameters through the extended protocol one step at a
time, each awaited: Parse, then Describe, then Bind and Execute, three round trips; the
first statement of a transaction waits for a BEGIN of its own before them, and COMMIT
and ROLLBACK go the same three-step way. Postgres takes the whole exchange at once
(Parse, Bind, Describe the portal, Execute, Sync: what libpq's ``PQexecParams`` sends),
a BEGIN in front of it when the transaction must open (no Sync between, so that if the
BEGIN fails the statement is skipped rather than run outside a transaction), and COMMIT
or ROLLBACK as one simple query. Against Neon each round trip is a network one; a
write request (checkout ping, two statements, COMMIT) goes from eight to four.

A statement run a few times on a connection becomes a named prepared statement, so
the server stops parsing and planning it on every call: a draw's statement costs more
to plan than to run. pg8000 also rescans the SQL character by character on every call
to turn ``%s`` into ``$n``; the result depends on the SQL alone, so it is kept per
statement text.

``make_engine`` picks this dialect for ``postgresql+pg8000`` URLs.
"""

from __future__ import annotations

import functools
import itertools
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pg8000 import legacy
from pg8000.converters import make_params
from pg8000.core import (
    EXECUTE_MSG,
    NULL_BYTE,
    PORTAL,
    STATEMENT,
    SYNC_MSG,
    Context,
    H_pack,
    _create_message,
    _flush,
    _write,
    i_pack,
)
from pg8000.dbapi import IntegrityError, ProgrammingError, convert_paramstyle
from pg8000.exceptions import DatabaseError, InterfaceError
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.pg8000 import PGDialect_pg8000

NAME = "postgresql+lectern_pg8000"

_PARSE, _BIND, _DESCRIBE = b"P", b"B", b"D"
_NO_FORMATS = H_pack(0)  # no format codes: every parameter and column as text
# Parse, Bind and Execute of BEGIN on the unnamed statement and portal, with no Sync.
_BEGIN = (
    _create_message(_PARSE, NULL_BYTE + b"begin transaction" + NULL_BYTE + H_pack(0))
    + _create_message(_BIND, NULL_BYTE + NULL_BYTE + _NO_FORMATS + H_pack(0) + _NO_FORMATS)
    + EXECUTE_MSG
)
_DESCRIBE_PORTAL = _create_message(_DESCRIBE, PORTAL + NULL_BYTE)
_CLOSE = b"C"

# A statement run this many times on a connection is prepared (named), so the server
# parses and plans it once (Neon's pooler keeps protocol-level prepared statements);
# at most PREPARED_MAX are kept, the least recently run closed. The engine passes
# LECTERN_DB_PREPARE_AFTER, 0 for never.
PREPARE_AFTER = 3
PREPARED_MAX = 256
_RUNS_KEPT = 4096
# A kept statement that fails so is parsed anew next time: 26000, the pooler or server
# no longer knows it; 0A000, "cached plan must not change result type" after DDL.
_STALE = {"26000", "0A000"}


@dataclass(frozen=True)
class _Prepared:
    name: bytes
    columns: Any
    funcs: Any


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """``sql`` with its ``%s`` placeholders as ``$1``, ``$2``...: pg8000's own conversion,
    done once per statement text (it depends on nothing else for the "format" style)."""
    return str(convert_paramstyle("format", sql, ())[0])


def _code(error: DatabaseError) -> str | None:
    message = error.args[0]
    return message.get("C") if isinstance(message, dict) else None


def _dbapi_error(error: DatabaseError) -> Exception:
    """The DB-API error pg8000's cursor raises for a server error (its own mapping)."""
    message, code = error.args[0], _code(error)
    cls: type[Exception] = _ERRORS.get(code, ProgrammingError)
    return cls(message)


_ERRORS: dict[str | None, type[Exception]] = {"28000": InterfaceError, "23505": IntegrityError}


class _Context(Context):  # type: ignore[misc]
    parsed = False  # the server took the Parse: a named statement now exists


class Connection(legacy.Connection):  # type: ignore[misc]  # pg8000 is untyped
    def __init__(self, *args: Any, prepare_after: int = PREPARE_AFTER, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_after = prepare_after  # 0: never
        self._runs: dict[str, int] = {}  # statement text -> runs on this connection
        self._prepared: OrderedDict[str, _Prepared] = OrderedDict()  # least recent first
        self._to_close: list[bytes] = []  # evicted names, closed with the next statement
        self._names = itertools.count()

    def cursor(self) -> Cursor:
        return Cursor(self)

    def handle_PARSE_COMPLETE(self, data: bytes, context: Any) -> None:
        context.parsed = True

    def execute_at_once(
        self, statement: str, vals: tuple[Any, ...], oids: tuple[int, ...] = ()
    ) -> Context:
        """Run one statement with parameters in one round trip, opening the transaction
        first unless in one (or in autocommit). From its ``prepare_after``-th run on this
        connection it runs as a named prepared statement, parsed and planned once."""
        bind = self._bind_body(vals)  # before anything is sent: may raise
        if self._sock is None:
            raise InterfaceError("connection is closed")
        out = bytearray(b"" if self.autocommit or self._in_transaction else _BEGIN)
        for name in self._to_close:
            out += _create_message(_CLOSE, STATEMENT + name)
        self._to_close.clear()
        prepared = self._prepared.get(statement)
        new_name = None
        if prepared is not None:
            self._prepared.move_to_end(statement)
            context = _Context(statement, columns=prepared.columns, input_funcs=prepared.funcs)
            out += _create_message(_BIND, NULL_BYTE + prepared.name + bind)
        else:
            new_name = self._name_if_due(statement, oids)
            context = _Context(statement)
            out += self._parse(new_name or NULL_BYTE, statement, oids)
            if new_name is not None:  # its columns, kept for the runs to come
                out += _create_message(_DESCRIBE, STATEMENT + new_name)
                out += _create_message(_BIND, NULL_BYTE + new_name + bind)
            else:
                out += _create_message(_BIND, NULL_BYTE + NULL_BYTE + bind) + _DESCRIBE_PORTAL
        _write(self._sock, bytes(out + EXECUTE_MSG + SYNC_MSG))
        _flush(self._sock)
        try:
            self.handle_messages(context)
        except DatabaseError as error:
            if prepared is not None and _code(error) in _STALE:
                # Gone (a pooler that lost it) or planned for an old schema: parse anew.
                self._forget(statement)
            raise
        finally:
            if new_name is not None and context.parsed:
                self._keep(statement, _Prepared(new_name, context.columns, context.input_funcs))
        return context

    def _bind_body(self, vals: tuple[Any, ...]) -> bytes:
        """A Bind message's parameters and result formats, all text."""
        params = make_params(self.py_types, vals)
        body = bytearray(_NO_FORMATS + H_pack(len(params)))
        for value in params:
            if value is None:
                body += i_pack(-1)
            else:
                encoded = value.encode(self._client_encoding)
                body += i_pack(len(encoded)) + encoded
        return bytes(body + _NO_FORMATS)

    def _parse(self, name: bytes, statement: str, oids: tuple[int, ...]) -> bytes:
        body = bytearray(name + statement.encode(self._client_encoding) + NULL_BYTE)
        body += H_pack(len(oids))
        for oid in oids:
            body += i_pack(0 if oid == -1 else oid)
        return bytes(_create_message(_PARSE, bytes(body)))

    def _name_if_due(self, statement: str, oids: tuple[int, ...]) -> bytes | None:
        """Count a run of ``statement``; a fresh name when it is due to be prepared."""
        runs = self._runs.get(statement, 0) + 1
        if len(self._runs) >= _RUNS_KEPT:
            self._runs.clear()
        self._runs[statement] = runs
        if not self._prepare_after or runs < self._prepare_after or oids:
            return None
        return f"lectern_{next(self._names)}\x00".encode("ascii")

    def _keep(self, statement: str, prepared: _Prepared) -> None:
        self._prepared[statement] = prepared
        while len(self._prepared) > PREPARED_MAX:
            self._to_close.append(self._prepared.popitem(last=False)[1].name)

    def _forget(self, statement: str) -> None:
        gone = self._prepared.pop(statement, None)
        if gone is not None:
            self._to_close.append(gone.name)
        self._runs.pop(statement, None)


class Cursor(legacy.Cursor):  # type: ignore[misc]
    _input_oids: tuple[int, ...]  # set by pg8000's __init__ and setinputsizes
    input_types: list[Any]

    def execute(self, operation: str, args: Any = (), stream: Any = None) -> Cursor:
        # COPY, statements without parameters (may be several, in one simple query) and
        # other parameter styles: pg8000's own way.
        if stream is not None or len(args) == 0 or self.paramstyle != "format":
            legacy.Cursor.execute(self, operation, args, stream)
            return self
        if self._c is None:
            raise InterfaceError("Cursor closed")
        try:
            self._context = self._c.execute_at_once(
                numbered(operation), tuple(args), self._input_oids
            )
        except DatabaseError as error:
            raise _dbapi_error(error) from None
        self._row_iter = iter(self._context.rows or [])
        self._input_oids = ()
        self.input_types = []
        return self


class Pg8000Dialect(PGDialect_pg8000):
    # Compiles as its parent does, so SQLAlchemy may cache compiled statements for it.
    supports_statement_cache = True

    def connect(self, *cargs: Any, **cparams: Any) -> Connection:
        return Connection(*cargs, **cparams)

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

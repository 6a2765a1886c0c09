"""One engine per container, made on first use; sessions per request.

In Lambda a container serves one request at a time, so the pool holds exactly one
connection (``database.pool_size`` = 1, no overflow) that is reused across invocations and
pre-pinged, since Neon may have closed it while the container was frozen. The pooled
Neon endpoint does the real pooling.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, QueuePool

from lectern.config import Settings, database_url, get_settings
from lectern.core.cache import cached_client
from lectern.core.tls import client_context
from lectern.db import dialect
from lectern.db.monitoring import log_slow_queries


def connect_args(settings: Settings) -> dict[str, Any]:
    """pg8000 options every connection uses: a connect timeout, and TLS for Neon.

    Without TLS, pg8000 would still build a context of its own and ask the server for
    TLS (a round trip) before going on in the clear: ``False`` skips both."""
    tls = client_context() if settings.database.tls else False
    return {"timeout": 10, "ssl_context": tls}


def set_statement_timeout(engine: Engine, timeout_ms: int) -> None:
    """Bound every statement on every connection the engine opens."""

    @event.listens_for(engine, "connect")
    def _set_statement_timeout(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"SET statement_timeout = {int(timeout_ms)}")
        cursor.close()
        # The driver ran the SET in a transaction of its own: left open, the first
        # request's rollback would undo it for every request after.
        dbapi_conn.commit()


def make_engine(settings: Settings, *, url: str | None = None) -> Engine:
    target = make_url(url or database_url(settings))
    args = connect_args(settings)
    if target.drivername == "postgresql+pg8000":
        target = target.set(drivername=dialect.NAME)  # one round trip per statement
        args["prepare_after"] = settings.database.prepare_after
    engine = create_engine(
        target,
        poolclass=QueuePool,
        pool_size=settings.database.pool_size,
        max_overflow=0,
        pool_timeout=10,
        pool_pre_ping=True,
        pool_recycle=300,
        connect_args=args,
    )
    set_statement_timeout(engine, settings.database.statement_timeout_ms)
    log_slow_queries(engine, settings.database.slow_query_ms)
    return engine


def make_oneshot_engine(url: str, settings: Settings | None = None) -> Engine:
    """An engine without a pool, for migrations and admin tasks: same TLS and timeout."""
    settings = settings or get_settings()
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args(settings))
    set_statement_timeout(engine, settings.database.statement_timeout_ms)
    return engine


@cached_client(close=Engine.dispose)
def get_engine() -> Engine:
    return make_engine(get_settings())


@cached_client
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def session_scope() -> Iterator[Session]:
    """A session for one request; rolled back unless the service committed."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()

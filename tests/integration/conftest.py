from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.orm import Session

from local.stack import LocalStack


@pytest.fixture(autouse=True)
def _stack(stack: LocalStack) -> LocalStack:
    return stack


@pytest.fixture
def db(stack: LocalStack) -> Iterator[Session]:
    """A session whose commits are real: for tests whose work other connections must see
    (concurrency, handlers, drains). Such tests isolate themselves by unique names."""
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as session:
        yield session


@contextmanager
def rolled_back_session() -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back at the end: the services'
    own ``commit()`` and ``rollback()`` only end savepoints in it, so nothing written
    through it outlives it."""
    from lectern.db.engine import get_engine

    with get_engine().connect() as connection:
        outer = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def rolled_back_db(stack: LocalStack) -> Iterator[Session]:
    """Opt in (``db = rolled_back_db`` in a module, or ask for it) wherever the test's
    work need not be seen by another connection: it is rolled back after the test."""
    with rolled_back_session() as session:
        yield session

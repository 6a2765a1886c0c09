from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from local.stack import LocalStack


@pytest.fixture(autouse=True)
def _stack(stack: LocalStack) -> LocalStack:
    return stack


@pytest.fixture
def db(stack: LocalStack) -> Iterator[Session]:
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as session:
        yield session

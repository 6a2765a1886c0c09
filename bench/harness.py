"""What the benches share: the embedded stack, migrated, with the settings pointing at it,
and an engine for bulk fills."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def embedded_stack(*, typesense: bool = False, **env: str) -> Iterator[Any]:
    """Start the local stack (Typesense only when asked), point the settings at it (plus
    ``env``), migrate; stop at exit."""
    from lectern.db.migrations import upgrade
    from local.stack import LocalStack

    stack = LocalStack(typesense=typesense)
    stack.start()
    os.environ.update({**stack.env, "LECTERN_ENV": "test", "POWERTOOLS_LOG_LEVEL": "ERROR", **env})
    try:
        upgrade(stack.env["LECTERN_DATABASE_URL"])
        yield stack
    finally:
        stack.stop()


def bulk_engine(timeout_seconds: int = 3600) -> Any:
    """An engine whose socket waits out a bulk statement (the app's gives up after 10 s)."""
    from sqlalchemy import create_engine

    return create_engine(
        os.environ["LECTERN_DATABASE_URL"], connect_args={"timeout": timeout_seconds}
    )

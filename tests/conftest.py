"""One embedded stack per test session, started only when a test needs it.

Settings are read from the environment, so these defaults are set before any Lectern
module is imported; the stack fixture then points the cached clients at the stack.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from local.stack import LocalStack
from local.typesense_server import TypesenseServer

os.environ["LECTERN_ENV"] = "test"
os.environ["LECTERN_DB_POOL_SIZE"] = "20"
# Throttling is tested with its own low limits; elsewhere many logins share one address.
os.environ["LECTERN_LOGIN_ATTEMPTS_PER_IP"] = "100000"
os.environ["LECTERN_REGISTRATIONS_PER_IP"] = "100000"
os.environ["LECTERN_REGISTRATIONS_PER_HOUR"] = "1000000"
os.environ["LECTERN_MAGIC_LINKS_PER_IP"] = "100000"
os.environ["LECTERN_PASSWORD_RESETS_PER_IP"] = "100000"
os.environ["LECTERN_MAIL_PER_HOUR"] = "1000000"
os.environ["LECTERN_DOCUMENT_UPLOADS_PER_USER"] = "100000"
os.environ["LECTERN_DOCUMENT_UPLOADS_PER_IP"] = "100000"
os.environ["LECTERN_DOCUMENT_UPLOADS_PER_HOUR"] = "1000000"
os.environ["LECTERN_EXAMS_PER_HOUR"] = "100000"
os.environ["LECTERN_TEAMS_INVITATIONS_PER_IP"] = "100000"
os.environ["LECTERN_TEAMS_INVITATIONS_PER_HOUR"] = "1000000"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "LecternTest"
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
os.environ.setdefault("POWERTOOLS_DEV", "false")


def reset_clients() -> None:
    """Forget every cached setting and client (after the environment changed)."""
    from lectern.core.cache import reset_cached_clients

    reset_cached_clients()


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """These variables set, and the cached settings and clients made anew, for a block
    longer than a test (a module's fixture); the environment as found afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        reset_clients()
        yield
    reset_clients()


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    from lectern.db.migrations import upgrade

    local_stack = LocalStack()
    local_stack.start()
    local_stack.apply_env()
    reset_clients()
    upgrade(local_stack.env["LECTERN_DATABASE_URL"])
    yield local_stack
    reset_clients()
    local_stack.stop()


@pytest.fixture(scope="session")
def typesense(stack: LocalStack) -> TypesenseServer:
    """The stack's real Typesense server (skipped only where its binary cannot run)."""
    if stack.typesense_server is None:
        pytest.skip(f"Typesense cannot run here: {stack.typesense_skipped}")
    return stack.typesense_server


def new_collection() -> str:
    """A collection name of one test's own: tests share the server, never a collection."""
    return f"lectern_test_{uuid.uuid4().hex[:12]}"


_search_keys = itertools.count()


def new_search_key(prefix: str | None = None) -> str:
    """A search-only key value. Typesense shows only a key's first four characters, so
    each gets a prefix no other key of the session has (or the one asked for)."""
    return (prefix or f"t{next(_search_keys):03x}") + uuid.uuid4().hex


def drop_collection(server: TypesenseServer, name: str) -> None:
    import httpx

    with httpx.Client(base_url=server.url, headers={"X-TYPESENSE-API-KEY": server.api_key}) as c:
        c.delete(f"/collections/{name}")


@pytest.fixture
def typesense_collection(typesense: TypesenseServer) -> Iterator[str]:
    name = new_collection()
    yield name
    drop_collection(typesense, name)


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change settings for one test: set env vars on the returned monkeypatch, then call
    ``reset_clients()``; everything is restored afterwards."""
    yield monkeypatch
    monkeypatch.undo()
    reset_clients()


def unique_email(prefix: str = "learner") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"

"""SnapStart: the hooks a function registers, run the way the Lambda runtime runs them.

The runtime calls ``snapshot_restore_py``'s registries: the before-snapshot hooks last
registered first, then (in each restored container) the after-restore hooks in order.
A socket open at the snapshot would be shared by every container restored from it, so
these tests open real connections through the app's own clients and check, from the
process's socket table and from Postgres, that none survives either hook.
"""

from __future__ import annotations

import importlib.util
import random
import socket
import sys
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest
import snapshot_restore_py
from sqlalchemy import create_engine, text

from lectern.api.app import create_app, lambda_handler, prime
from lectern.core import snapstart
from local.events import LambdaContext, http_event
from local.functions import FUNCTIONS_DIR
from local.stack import LocalStack
from tests.conftest import reset_clients


@pytest.fixture
def registries() -> Iterator[tuple[list[Any], list[Any]]]:
    """The runtime's hook registries, emptied for one test and restored after it."""
    before = snapshot_restore_py.get_before_snapshot()
    after = snapshot_restore_py.get_after_restore()
    saved = list(before), list(after)
    before.clear()
    after.clear()
    yield before, after
    before[:], after[:] = saved


@pytest.fixture
def snap_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(snapstart.INITIALIZATION_TYPE, snapstart.SNAP_START)


def load_function(name: str, filename: str = "app.py") -> ModuleType:
    """``functions/<name>/<filename>`` imported afresh, as a new Lambda init imports it."""
    path = FUNCTIONS_DIR / name / filename
    spec = importlib.util.spec_from_file_location(f"snapstart_{name}_{time.time_ns()}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic looks its generic models up there
    spec.loader.exec_module(module)
    return module


def run_before_snapshot() -> None:
    hooks = snapshot_restore_py.get_before_snapshot()
    while hooks:
        func, args, kwargs = hooks.pop()
        func(*args, **kwargs)


def run_after_restore() -> None:
    for func, args, kwargs in snapshot_restore_py.get_after_restore():
        func(*args, **kwargs)


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def client_sockets(ports: set[int]) -> set[tuple[str, int]]:
    """This process's TCP sockets connected to one of ``ports`` (their local addresses)."""
    return {
        (c.laddr.ip, c.laddr.port)
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port in ports
    }


def backend_alive(database_url: str, pid: int) -> bool:
    admin = create_engine(database_url)
    try:
        with admin.connect() as conn:
            return bool(
                conn.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
                )
            )
    finally:
        admin.dispose()


def cached_getters() -> list[Any]:
    from lectern.db.engine import get_engine
    from lectern.kv.factory import get_kv
    from lectern.search.factory import get_typesense_search_index
    from lectern.storage.factory import get_storage

    return [get_engine, get_kv, get_storage, get_typesense_search_index]


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """A closed socket's far end closes when its server notices: give it a moment."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def service_ports(stack: LocalStack) -> set[int]:
    """The TCP ports of the stack's services the app's clients reach."""
    ports = {_port(stack.env["LECTERN_KV_URL"]), _port(stack.env["LECTERN_AWS_ENDPOINT_URL"])}
    if stack.typesense_server is not None:
        ports.add(_port(stack.typesense_server.url))
    return ports


def open_connections(stack: LocalStack) -> int:
    """Connections made through the app's own clients, left open as they are between
    invocations: the engine's pooled one (its Postgres backend pid is returned), the
    Upstash client's keep-alive one, the S3 client's, Powertools' Secrets Manager
    client's (as ``config.database_url`` reads a secret), and the Typesense client's
    where Typesense runs."""
    from aws_lambda_powertools.utilities import parameters

    from lectern.core.aws import aws_client
    from lectern.db.engine import get_engine
    from lectern.kv.factory import get_kv
    from lectern.search.factory import get_typesense_search_index
    from lectern.storage.factory import get_storage

    with get_engine().connect() as conn:
        pid = int(conn.scalar(text("SELECT pg_backend_pid()")))
    get_kv().set("lectern:test:snapstart", "1")
    get_storage().client.list_objects_v2(Bucket=stack.env["LECTERN_S3_BUCKET"], MaxKeys=1)
    name = f"lectern/test/snapstart-{time.time_ns()}"
    admin = aws_client(
        "secretsmanager",
        region=stack.env["LECTERN_AWS_REGION"],
        endpoint_url=stack.env["LECTERN_AWS_ENDPOINT_URL"],
    )
    admin.create_secret(Name=name, SecretString="value")
    admin.close()
    assert parameters.get_secret(name) == "value"
    if stack.typesense_server is not None:
        get_typesense_search_index().check()
    return pid


@pytest.fixture
def aws_secrets_endpoint(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Powertools makes its own boto3 clients: point them at the stack's moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", stack.env["LECTERN_AWS_ENDPOINT_URL"])


def test_no_connection_survives_the_snapshot(
    stack: LocalStack, registries: Any, snap_start: None, aws_secrets_endpoint: None
) -> None:
    reset_clients()
    module = load_function("courses")
    before, after = registries
    assert len(before) == 1 and len(after) == 1, "the function's init registers both hooks"

    ports = service_ports(stack)
    already = client_sockets(ports)
    pid = open_connections(stack)
    opened = client_sockets(ports) - already
    # The emulator closes after each reply (HTTP/1.0); boto3 and Typesense keep theirs.
    assert opened, "the AWS clients' keep-alive connections should be open"
    assert backend_alive(stack.env["LECTERN_DATABASE_URL"], pid)

    run_before_snapshot()

    assert eventually(lambda: not (client_sockets(ports) & opened)), client_sockets(ports)
    assert eventually(lambda: not backend_alive(stack.env["LECTERN_DATABASE_URL"], pid))
    assert all(getter.cache_info().currsize == 0 for getter in cached_getters())
    # A request after the restore makes its clients anew.
    run_after_restore()
    response = module.handler(http_event("GET", "/v1/courses"), LambdaContext())
    assert response["statusCode"] == 200, response


def test_no_connection_made_before_a_restore_survives_it(
    stack: LocalStack, registries: Any, snap_start: None, aws_secrets_endpoint: None
) -> None:
    reset_clients()
    load_function("users")
    run_before_snapshot()
    ports = service_ports(stack)
    already = client_sockets(ports)
    pid = open_connections(stack)
    opened = client_sockets(ports) - already
    # The emulator closes after each reply (HTTP/1.0); boto3 and Typesense keep theirs.
    assert opened, "the AWS clients' keep-alive connections should be open"

    run_after_restore()

    assert eventually(lambda: not (client_sockets(ports) & opened)), client_sockets(ports)
    assert eventually(lambda: not backend_alive(stack.env["LECTERN_DATABASE_URL"], pid))
    # And the next request's clients are new ones, connecting afresh.
    from lectern.kv.factory import get_kv

    assert get_kv().get("lectern:test:snapstart") == "1"


def test_a_restore_reseeds_random(registries: Any, snap_start: None) -> None:
    snapstart.register()
    random.seed(1234)  # the state every container restored from one snapshot starts with
    in_the_snapshot = [random.random() for _ in range(4)]
    random.seed(1234)

    run_after_restore()

    assert [random.random() for _ in range(4)] != in_the_snapshot


def test_priming_answers_without_opening_a_connection(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi import APIRouter

    from lectern.db.engine import get_engine
    from lectern.kv.factory import get_kv

    reset_clients()
    router = APIRouter(prefix="/v1")

    @router.get("/needs-the-database")
    def needs_the_database() -> dict[str, int]:
        raise AssertionError("the prime must not reach a route that needs a service")

    handler = lambda_handler(create_app(router, title="prime test"))
    connected: list[Any] = []
    real_connect = socket.socket.connect

    def recording_connect(self: socket.socket, address: Any) -> None:
        connected.append(address)
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    prime(handler)  # raises unless each prime request got its expected status

    assert connected == []
    assert get_engine.cache_info().currsize == 0 and get_kv.cache_info().currsize == 0
    # The recorder does see the app's connections (Postgres here is a Unix socket).
    with get_engine().connect() as conn:
        conn.scalar(text("SELECT 1"))
    assert connected


def test_a_failed_prime_still_drops_the_clients(stack: LocalStack) -> None:
    from lectern.db.engine import get_engine

    reset_clients()
    with get_engine().connect() as conn:
        conn.scalar(text("SELECT 1"))

    def failing() -> None:
        raise RuntimeError("boom")

    snapstart.before_snapshot(failing)

    assert get_engine.cache_info().currsize == 0


def test_an_on_demand_init_registers_no_hook(
    registries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(snapstart.INITIALIZATION_TYPE, raising=False)
    load_function("courses")
    monkeypatch.setenv(snapstart.INITIALIZATION_TYPE, "on-demand")
    load_function("health")
    assert registries == ([], [])
    assert snapstart.register() is False


@pytest.mark.parametrize(
    "name", ["aggregate", "backup", "ingest", "ingest_r2_pull", "outbox_relay", "search_sync"]
)
def test_the_event_functions_register_the_hooks_too(
    name: str, registries: Any, snap_start: None
) -> None:
    load_function(name, "handler.py")
    before, after = registries
    assert [hook for hook, _, _ in before] == [snapstart.before_snapshot]
    assert [hook for hook, _, _ in after] == [snapstart.after_restore]

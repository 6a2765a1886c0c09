"""Outages: a hung, refused or misconfigured dependency gives a bounded 503, never a 500."""

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from lectern.errors import DependencyUnavailable
from lectern.kv.factory import get_kv
from lectern.kv.port import KVUnavailable
from lectern.kv.upstash import make_kv
from local.functions import load_module
from local.stack import KV_TOKEN, LocalStack
from tests.conftest import reset_clients


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a hung dependency."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_hung_kv_call_ends_at_the_timeout(silent_server: str):
    kv = make_kv(silent_server, KV_TOKEN, timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(KVUnavailable):
        kv.get("anything")
    assert time.monotonic() - started < 3


def test_refused_kv_connection_is_unavailable():
    with pytest.raises(DependencyUnavailable) as exc:
        make_kv(f"http://127.0.0.1:{_closed_port()}", KV_TOKEN, 1).get("k")
    assert exc.value.dependency == "kv"


def test_wrong_kv_token_is_unavailable_not_a_crash(stack: LocalStack):
    with pytest.raises(KVUnavailable):
        make_kv(stack.env["LECTERN_KV_URL"], "wrong-token", 1).get("k")


def test_kv_pipeline_is_one_round_trip(stack: LocalStack):
    assert stack.emulator is not None
    kv = get_kv()
    before = stack.emulator.request_count
    pipe = kv.pipeline()
    for i in range(5):
        pipe.set(f"lectern:test:pipe:{i}", str(i), ex=60)
    assert pipe.exec() == [True] * 5
    assert stack.emulator.request_count - before == 1


def _health(client: TestClient) -> tuple[int, dict]:
    response = client.get("/v1/health")
    return response.status_code, response.json()


@pytest.fixture
def health_client(stack: LocalStack) -> TestClient:
    return TestClient(load_module("health").app, raise_server_exceptions=False)


def test_health_is_ok_when_everything_answers(health_client: TestClient):
    status, body = _health(health_client)
    assert status == 200
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "kv": "ok", "storage": "ok", "search": "ok"},
        "search_backend": "postgres",
    }


@pytest.mark.parametrize(
    ("variable", "value", "failed"),
    [
        ("LECTERN_KV_URL", "http://127.0.0.1:{port}", {"kv"}),
        ("LECTERN_S3_ENDPOINT_URL", "http://127.0.0.1:{port}", {"storage"}),
        (
            "LECTERN_DATABASE_URL",
            "postgresql+pg8000://postgres@127.0.0.1:{port}/lectern",
            {"database", "search"},
        ),
    ],
)
def test_health_names_the_dependency_that_is_down(
    health_client: TestClient, settings_env, variable: str, value: str, failed: set[str]
):
    settings_env.setenv(variable, value.format(port=_closed_port()))
    reset_clients()
    status, body = _health(health_client)
    assert status == 503
    assert body["status"] == "unavailable"
    assert set(body["failed"]) == failed
    assert {k for k, v in body["checks"].items() if v == "down"} == failed


def test_routes_answer_503_when_kv_is_down(stack: LocalStack, settings_env):
    settings_env.setenv("LECTERN_KV_URL", f"http://127.0.0.1:{_closed_port()}")
    reset_clients()
    client = TestClient(load_module("users").app, raise_server_exceptions=False)
    response = client.get("/v1/me", headers={"authorization": "Bearer " + "x" * 43})
    assert response.status_code == 503
    assert response.json()["dependency"] == "kv"
    assert response.headers["content-type"] == "application/problem+json"


def test_routes_answer_503_when_the_database_is_down(stack: LocalStack, settings_env):
    settings_env.setenv(
        "LECTERN_DATABASE_URL", f"postgresql+pg8000://postgres@127.0.0.1:{_closed_port()}/lectern"
    )
    reset_clients()
    client = TestClient(load_module("auth").app, raise_server_exceptions=False)
    response = client.post(
        "/v1/auth/login", json={"email": "someone@example.com", "password": "whatever-pw"}
    )
    assert response.status_code == 503
    assert response.json()["dependency"] == "database"


def test_a_statement_timeout_is_503_and_a_bad_query_is_500(stack: LocalStack, settings_env):
    from fastapi import APIRouter
    from sqlalchemy import text

    from lectern.api.app import create_app
    from lectern.api.deps import DbSession

    settings_env.setenv("LECTERN_DB_STATEMENT_TIMEOUT_MS", "100")
    reset_clients()
    router = APIRouter()

    @router.get("/slow")
    def slow(db: DbSession) -> None:
        db.execute(text("SELECT pg_sleep(2)"))

    @router.get("/broken")
    def broken(db: DbSession) -> None:
        db.execute(text("SELECT * FROM no_such_table"))

    @router.get("/fast")
    def fast(db: DbSession) -> None:
        db.execute(text("SELECT 1"))

    client = TestClient(create_app(router), raise_server_exceptions=False)
    # Not only on a fresh connection: a request that rolled back comes first.
    assert client.get("/fast").status_code == 200
    started = time.monotonic()
    slow_reply = client.get("/slow")
    assert time.monotonic() - started < 1.5
    assert slow_reply.status_code == 503
    assert slow_reply.json()["dependency"] == "database"
    broken_reply = client.get("/broken")
    assert broken_reply.status_code == 500
    assert "no_such_table" not in broken_reply.text


def test_health_checks_typesense_itself_when_it_is_the_index(
    health_client: TestClient, settings_env
):
    settings_env.setenv("LECTERN_SEARCH_BACKEND", "typesense")
    settings_env.setenv("LECTERN_TYPESENSE_URL", f"http://127.0.0.1:{_closed_port()}")
    settings_env.setenv("LECTERN_TYPESENSE_API_KEY", "test-key")
    settings_env.setenv("LECTERN_TYPESENSE_SEARCH_API_KEY", "test-search-key")
    reset_clients()
    status, body = _health(health_client)
    assert status == 503
    assert body["failed"] == ["search"]
    assert body["checks"]["database"] == "ok"


def test_health_names_typesense_when_it_is_the_index(
    health_client: TestClient, settings_env, typesense
):
    settings_env.setenv("LECTERN_SEARCH_BACKEND", "typesense")  # the stack's real one
    reset_clients()
    status, body = _health(health_client)
    assert status == 200, body
    assert body["search_backend"] == "typesense"
    assert body["checks"]["search"] == "ok"


def test_a_connection_the_server_closed_while_idle_is_replaced_unsent(stack: LocalStack):
    """As after a container thaws: the kept connection is dead, the call still goes out
    once, on a new one."""
    assert stack.emulator is not None and stack.emulator._server is not None
    kv = make_kv(stack.env["LECTERN_KV_URL"], KV_TOKEN, 2)
    kv.set("lectern:test:idle", "1", ex=60)
    stack.emulator._server.close_connections()  # the server hangs up the idle connection
    time.sleep(0.05)
    before = stack.emulator.request_count
    assert kv.get("lectern:test:idle") == "1"
    assert stack.emulator.request_count - before == 1
    kv.close()


def test_kv_calls_keep_their_connection_and_close_drops_it(stack: LocalStack):
    kv = make_kv(stack.env["LECTERN_KV_URL"], KV_TOKEN, 2)
    for i in range(3):
        kv.set(f"lectern:test:conn:{i}", str(i), ex=60)
    http = kv._http._client
    [first] = http._idle  # one caller at a time: one connection
    assert first.sock is not None
    kv.get("lectern:test:conn:0")
    assert http._idle == [first]  # kept alive, not reopened
    kv.close()
    assert http._idle == [] and first.sock is None


def test_callers_at_once_each_get_a_connection(stack: LocalStack):
    kv = make_kv(stack.env["LECTERN_KV_URL"], KV_TOKEN, 2)
    kv.set("lectern:test:shared", "0", ex=60)

    def incr(_: int) -> int:
        return kv.incr("lectern:test:shared")

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(incr, range(200)))
    assert sorted(got) == list(range(1, 201))
    assert 1 <= len(kv._http._client._idle) <= 8
    kv.close()


def test_https_connections_use_the_containers_tls_context(monkeypatch: pytest.MonkeyPatch):
    import http.client

    from lectern.core.tls import client_context

    contexts = []
    stock_init = http.client.HTTPSConnection.__init__

    def seen(self: http.client.HTTPSConnection, *args: object, **kwargs: object) -> None:
        contexts.append(kwargs.get("context"))
        stock_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(http.client.HTTPSConnection, "__init__", seen)
    kv = make_kv("https://kv.example.invalid", KV_TOKEN, 1)
    for _ in range(2):
        with pytest.raises(KVUnavailable):  # no such host: an outage, not a crash
            kv.get("k")
    assert contexts == [client_context(), client_context()]


def test_making_the_client_builds_no_httpx_client(monkeypatch: pytest.MonkeyPatch):
    import httpx

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an httpx.Client was built")

    monkeypatch.setattr(httpx, "Client", refuse)
    kv = make_kv("https://kv.example.invalid", KV_TOKEN, 1)
    assert kv._http._client.__class__.__name__ == "KvHttp"


def test_our_http_layer_sets_what_the_stock_one_sets():
    """The stock ``SyncHttpClient.__init__`` is not run; ours must leave the object as it
    would (a library upgrade that adds an attribute fails here)."""
    from upstash_redis import Redis

    stock = Redis(url="http://127.0.0.1:1", token=KV_TOKEN, rest_retries=0)
    ours = make_kv("http://127.0.0.1:1", KV_TOKEN, 1)
    assert type(stock._http) is not type(ours._http)
    assert vars(ours._http).keys() == vars(stock._http).keys()
    for name in ("_encoding", "_retries", "_retry_interval"):
        assert getattr(ours._http, name) == getattr(stock._http, name)
    assert ours._http._sync_token_cb is not None
    assert Redis.__init__.__globals__["SyncHttpClient"] is type(stock._http)  # put back
    stock.close()

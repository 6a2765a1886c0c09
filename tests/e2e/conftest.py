"""E2E: API Gateway HTTP API (v2) events through each function's real Lambda handler."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from local.events import LambdaContext, http_event
from local.functions import load_module
from local.stack import LocalStack


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def invoke(function: str, method: str, path: str, **kwargs: Any) -> Reply:
    """Call ``functions/<function>/app.py``'s handler as Lambda would."""
    handler = load_module(function).handler
    result = handler(http_event(method, path, **kwargs), LambdaContext())
    raw = result.get("body") or ""
    if result.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    body = json.loads(raw) if raw and "json" in headers.get("content-type", "") else raw
    return Reply(result["statusCode"], headers, body)


@pytest.fixture(autouse=True)
def _stack(stack: LocalStack) -> LocalStack:
    return stack


@pytest.fixture(scope="module")
def base_url(stack: LocalStack) -> Iterator[str]:
    """The all-routes local app served over real HTTP by uvicorn, as `make dev` does."""
    from local.devapp import create_dev_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_dev_app(stack), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "local app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)

"""E2E: API Gateway HTTP API (v2) events through each function's real Lambda handler."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest

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

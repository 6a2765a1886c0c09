"""Text no route may take: NUL characters and lone UTF-16 surrogates, refused in one place.

Postgres refuses a NUL in text, and a lone surrogate (``"\\ud999"`` in JSON) cannot be
encoded as UTF-8 for it: either would reach the database and fail the request with a
500. This middleware looks at everything a route reads as text — the path, every query
parameter's name and value, and every key and string of a JSON body at any depth — and
answers 422 naming the first field that holds one, before any route runs. Headers are not
looked at: the routes read only ``Authorization`` (a token only hashed) and
``X-Request-Id`` (matched against a strict pattern).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lectern.api.errors import problem

# NUL, and UTF-16 surrogates on their own (a valid pair is one code point in a str).
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "must not contain NUL characters or unpaired surrogates"


def _first_bad(value: Any, path: str) -> str | None:
    """The dotted path of the first string (or key) in ``value`` holding forbidden text."""
    if isinstance(value, str):
        return path if _FORBIDDEN.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _FORBIDDEN.search(key):
                return here
            found = _first_bad(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_bad(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media = bytes(value).decode("latin-1").split(";", 1)[0].strip().lower()
            return media == "application/json" or media.endswith("+json")
    return False


def _bad_query(scope: Scope) -> str | None:
    raw = scope.get("query_string", b"").decode("latin-1")
    # Decoded the way Starlette decodes it for the routes (invalid UTF-8 becomes U+FFFD).
    for key, value in parse_qsl(raw, keep_blank_values=True):
        if _FORBIDDEN.search(key) or _FORBIDDEN.search(value):
            return key if not _FORBIDDEN.search(key) else "query"
    return None


class TextGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = "path" if _FORBIDDEN.search(scope.get("path", "")) else _bad_query(scope)
        if field is None and _is_json(scope):
            body, receive = await _buffered(receive)
            field = _bad_body(body)
        if field is not None:
            response = problem(
                422,
                "validation-error",
                "Invalid input",
                f"{field}: {MESSAGE}",
                errors=[{"field": field, "message": MESSAGE}],
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _bad_body(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None  # not JSON: the route's own validation answers that
    found = _first_bad(parsed, "")
    return None if found is None else found or "body"


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body, and a ``receive`` that hands it to the app once more."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = bool(message.get("more_body", False))
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay

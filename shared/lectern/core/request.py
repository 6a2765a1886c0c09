"""What is known about the HTTP request being served, for code far from the route.

The app's request middleware sets it; FastAPI runs sync routes and dependencies in a
worker thread with a copy of this context, so services see it too. Outside a request
(scheduled tasks, queue consumers, tests calling services) there is none.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    source_ip: str | None
    # The ASGI scope: the matched route is set in it only after the middleware ran.
    scope: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @property
    def route(self) -> str | None:
        """The matched route's template (never the raw path: paths carry tokens)."""
        return getattr(self.scope.get("route"), "path", None)


_current: ContextVar[RequestInfo | None] = ContextVar("lectern_request", default=None)


def current_request() -> RequestInfo | None:
    return _current.get()


def begin_request(info: RequestInfo) -> Token[RequestInfo | None]:
    return _current.set(info)


def end_request(token: Token[RequestInfo | None]) -> None:
    _current.reset(token)

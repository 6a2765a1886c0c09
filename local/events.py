"""API Gateway HTTP API (payload v2) events and a Lambda context, as AWS sends them.

Used to drive each function's real ``handler`` in the e2e tests and the cold-start bench.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LambdaContext:
    function_name: str = "lectern-local"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:lectern-local"
    log_group_name: str = "/aws/lambda/lectern-local"
    log_stream_name: str = "local"
    # What Lambda would say is left: an HTTP function's 15 s unless told otherwise.
    remaining_ms: int = 15_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    source_ip: str = "203.0.113.10",
    route_key: str | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """``body`` goes as JSON; ``raw_body`` as it is (send its content-type in ``headers``)."""
    all_headers = {"host": "api.lectern.test", "user-agent": "lectern-tests"}
    if body is not None:
        all_headers["content-type"] = "application/json"
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": route_key or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "lectern",
            "domainName": "api.lectern.test",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": "lectern-tests",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route_key or f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": raw_body if raw_body is not None else None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }

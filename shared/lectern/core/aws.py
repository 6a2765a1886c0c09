"""AWS clients: boto3 is imported when a client is made, never at import."""

from __future__ import annotations

from typing import Any

from lectern.errors import DependencyUnavailable


def bedrock_runtime_client(region: str, *, read_timeout: float, max_attempts: int) -> Any:
    """A ``bedrock-runtime`` client whose worst case fits inside an API request.

    API Gateway gives up after 30 seconds: read timeout times attempts must stay below
    what is left of the function's timeout.
    """
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime",
        region_name=region,
        config=Config(
            connect_timeout=2,
            read_timeout=read_timeout,
            # Standard mode retries throttling and 5xx with backoff.
            retries={"max_attempts": max_attempts, "mode": "standard"},
        ),
    )


def unavailable(dependency: str, exc: Exception) -> DependencyUnavailable:
    """A botocore failure as a 503: the error code for the logs, never the message."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
    return DependencyUnavailable(dependency, f"bedrock: {code}")

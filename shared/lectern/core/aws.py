"""AWS clients: boto3 is imported when a client is made, never at import."""

from __future__ import annotations

from typing import Any, TypeVar

from lectern.errors import DependencyUnavailable

T = TypeVar("T")


def aws_client(
    service: str,
    *,
    region: str | None,
    endpoint_url: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    **config: Any,
) -> Any:
    """A boto3 client with these botocore ``Config`` options (timeouts, retries ...).

    Keys are passed only for a store that is not AWS (R2); otherwise the default chain
    (the function's role) signs.
    """
    import boto3
    from botocore.config import Config

    keys: dict[str, str] = {}
    if access_key_id is not None and secret_access_key is not None:
        keys = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
    return boto3.client(
        service, endpoint_url=endpoint_url, region_name=region, config=Config(**config), **keys
    )


def close_client(adapter: T) -> None:
    """Close the boto3 client an adapter holds as ``client`` (its connection pool)."""
    client = getattr(adapter, "client", None)
    if client is not None:
        client.close()


def bedrock_runtime_client(region: str, *, read_timeout: float, max_attempts: int) -> Any:
    """A ``bedrock-runtime`` client whose worst case fits inside an API request.

    API Gateway gives up after 30 seconds: read timeout times attempts must stay below
    what is left of the function's timeout.
    """
    return aws_client(
        "bedrock-runtime",
        region=region,
        connect_timeout=2,
        read_timeout=read_timeout,
        # Standard mode retries throttling and 5xx with backoff.
        retries={"max_attempts": max_attempts, "mode": "standard"},
    )


def unavailable(dependency: str, exc: Exception) -> DependencyUnavailable:
    """A botocore failure as a 503: the error code for the logs, never the message."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
    return DependencyUnavailable(dependency, f"bedrock: {code}")

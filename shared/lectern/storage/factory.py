"""The S3-API client for R2/S3, made once per container. boto3 is imported on first use."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from lectern.config import get_settings, resolve_secret


@lru_cache(maxsize=1)
def get_s3() -> Any:
    import boto3
    from botocore.config import Config

    settings = get_settings()
    kwargs: dict[str, Any] = {}
    if settings.s3_credentials_secret:
        keys = json.loads(
            resolve_secret(settings.s3_credentials_secret, settings.secret_max_age_seconds)
        )
        kwargs["aws_access_key_id"] = keys["access_key_id"]
        kwargs["aws_secret_access_key"] = keys["secret_access_key"]
    config = Config(
        signature_version="s3v4",
        connect_timeout=3,
        read_timeout=5,
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path"},
    )
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        config=config,
        **kwargs,
    )


def reset_s3() -> None:
    get_s3.cache_clear()

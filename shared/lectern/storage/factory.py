"""The object store, made once per container. boto3 is imported on first use."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lectern.config import get_settings
from lectern.core.aws import close_client
from lectern.core.cache import cached_client
from lectern.core.secrets import secret_or_value

if TYPE_CHECKING:
    from lectern.storage.port import ObjectStore


@cached_client(close=close_client)
def get_storage() -> ObjectStore:
    from lectern.core.aws import aws_client
    from lectern.storage.s3 import S3Store

    settings = get_settings()
    access_key_id = secret_access_key = None
    if settings.storage.credentials_secret:
        keys = json.loads(
            secret_or_value(
                secret=settings.storage.credentials_secret,
                value=None,
                dependency="storage",
                setting="LECTERN_S3_CREDENTIALS",
                max_age=settings.aws.secret_max_age_seconds,
            )
        )
        access_key_id, secret_access_key = keys["access_key_id"], keys["secret_access_key"]
    client = aws_client(
        "s3",
        endpoint_url=settings.storage.endpoint_url,
        region=settings.storage.region,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        signature_version="s3v4",
        connect_timeout=3,
        read_timeout=5,
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path"},
    )
    return S3Store(client, settings.storage.bucket)

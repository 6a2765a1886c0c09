"""Outgoing mail through Amazon SES (moto's SES locally)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lectern.config import get_settings
from lectern.errors import DependencyUnavailable


@lru_cache(maxsize=1)
def _ses() -> Any:
    from lectern.core.aws import aws_client

    settings = get_settings()
    return aws_client(
        "ses",
        endpoint_url=settings.aws_endpoint_url,
        region=settings.aws_region,
        connect_timeout=3,
        read_timeout=5,
        retries={"max_attempts": 2},
    )


def send_mail(to: str, subject: str, text: str) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _ses().send_email(
            Source=get_settings().mail_sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
            },
        )
    except (BotoCoreError, ClientError) as exc:
        raise DependencyUnavailable("mail", f"sending failed: {type(exc).__name__}") from exc


def reset_mail() -> None:
    _ses.cache_clear()

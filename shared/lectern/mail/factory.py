"""The mailer, made once per container. boto3 loads on first use."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from lectern.config import get_settings

if TYPE_CHECKING:
    from lectern.mail.port import Mailer


@lru_cache(maxsize=1)
def get_mailer() -> Mailer:
    from lectern.core.aws import aws_client
    from lectern.mail.ses import SesMailer

    settings = get_settings()
    client = aws_client(
        "ses",
        endpoint_url=settings.aws_endpoint_url,
        region=settings.aws_region,
        connect_timeout=3,
        read_timeout=5,
        retries={"max_attempts": 2},
    )
    return SesMailer(client, settings.mail_sender)


def reset_mailer() -> None:
    get_mailer.cache_clear()

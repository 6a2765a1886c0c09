"""Outgoing mail through Amazon SES (moto's SES locally).

A message with extra header fields (``List-Unsubscribe`` ...) goes as a raw MIME
message, the only way SES v1 sends headers of the caller's choosing; one without them
as a plain ``SendEmail``.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from lectern.errors import DependencyUnavailable


def mime_message(
    sender: str, to: str, subject: str, text: str, headers: Mapping[str, str]
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers.items():
        message[name] = value
    message.set_content(text, charset="utf-8")
    return message.as_bytes()


class SesMailer:
    def __init__(self, client: Any, sender: str) -> None:
        self.client = client
        self.sender = sender

    def send(
        self, to: str, subject: str, text: str, headers: Mapping[str, str] | None = None
    ) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if headers:
                # The recipient is the message's To field (SES reads it from there).
                self.client.send_raw_email(
                    Source=self.sender,
                    RawMessage={"Data": mime_message(self.sender, to, subject, text, headers)},
                )
            else:
                self.client.send_email(
                    Source=self.sender,
                    Destination={"ToAddresses": [to]},
                    Message={
                        "Subject": {"Data": subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
                    },
                )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("mail", f"sending failed: {type(exc).__name__}") from exc

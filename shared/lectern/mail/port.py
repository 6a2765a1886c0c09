"""The outgoing mail port: one plain-text message to one address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class Mailer(Protocol):
    def send(
        self, to: str, subject: str, text: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send it, with these extra header fields (``List-Unsubscribe`` ...) when given;
        DependencyUnavailable("mail") if the mail service does not answer."""

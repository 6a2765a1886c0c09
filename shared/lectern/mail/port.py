"""The outgoing mail port: one plain-text message to one address."""

from __future__ import annotations

from typing import Protocol


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> None:
        """Send it; DependencyUnavailable("mail") if the mail service does not answer."""

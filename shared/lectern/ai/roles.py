"""Who speaks in an AI chat: apart from the models, so schemas use it without them."""

from __future__ import annotations

import enum


class ChatRole(enum.StrEnum):
    user = "user"
    assistant = "assistant"

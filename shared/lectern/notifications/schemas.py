"""Notification bodies: the inbox page, mark-read, preferences and unsubscribe."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lectern.core.pagination import Page

EmailChoice = Literal["off", "immediate", "daily"]
MAX_READ_IDS = 100
MAX_TOKEN = 200


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Page[NotificationOut]):
    unread_count: int = Field(description="Unread notifications in the inbox, all pages.")


class MarkReadIn(_In):
    """Exactly one of ``ids`` (the caller's; others' are ignored) and ``all``."""

    ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=MAX_READ_IDS)
    all: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> MarkReadIn:
        if (self.ids is None) == (self.all is None):
            raise ValueError("send either ids or all: true")
        return self


class UnreadOut(BaseModel):
    unread_count: int


class TypePreference(BaseModel):
    in_app: bool
    email: EmailChoice


class TypePreferenceIn(_In):
    """Either field alone changes it alone."""

    in_app: bool | None = None
    email: EmailChoice | None = None


class PreferencesOut(BaseModel):
    types: dict[str, TypePreference] = Field(
        description="Every notification type, with the caller's choice or its default."
    )


class PreferencesIn(_In):
    types: dict[str, TypePreferenceIn] = Field(max_length=64)


class UnsubscribeIn(_In):
    token: str = Field(min_length=1, max_length=MAX_TOKEN)


class UnsubscribedOut(BaseModel):
    type: str = Field(
        description="The type whose mail is now off, or 'digest' for every daily one."
    )
    email: Literal["off"] = "off"

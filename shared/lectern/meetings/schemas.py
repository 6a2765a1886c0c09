"""Live-session bodies: a learner's request, the owner's decision or the learner's
cancellation, and the request as either side sees it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
)

from lectern.core.pagination import Page
from lectern.meetings.models import MeetingStatus

MAX_TOPIC = 200
MAX_MESSAGE = 2000
MAX_TIMES = 5
MAX_URL = 2000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _in_the_future(value: datetime) -> datetime:
    if value <= datetime.now(UTC):
        raise ValueError("must be in the future")
    return value.astimezone(UTC)


FutureTime = Annotated[AwareDatetime, AfterValidator(_in_the_future)]


class MeetingRequestIn(_In):
    topic: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TOPIC)
    ]
    message: Annotated[str, StringConstraints(max_length=MAX_MESSAGE)] | None = None
    preferred_times: list[FutureTime] = Field(
        min_length=1, max_length=MAX_TIMES, description="1 to 5 times in the future (with a zone)."
    )

    @field_validator("preferred_times")
    @classmethod
    def _distinct(cls, times: list[datetime]) -> list[datetime]:
        if len(set(times)) != len(times):
            raise ValueError("each time once")
        return sorted(times)


class MeetingUpdateIn(_In):
    """Owner or admin: ``accepted`` (with ``scheduled_at`` and ``meeting_url``; again, to
    move it) or ``declined``. The requester: ``cancelled``."""

    status: Literal["accepted", "declined", "cancelled"]
    scheduled_at: FutureTime | None = None
    meeting_url: HttpUrl | None = None
    duration_minutes: int | None = Field(default=None, ge=5, le=480)

    @field_validator("meeting_url", mode="before")
    @classmethod
    def _short_web_link(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value) > MAX_URL:
            raise ValueError(f"at most {MAX_URL} characters")
        return value

    @field_validator("meeting_url")
    @classmethod
    def _http(cls, value: HttpUrl | None) -> HttpUrl | None:
        if value is not None and value.scheme not in ("http", "https"):
            raise ValueError("an http or https link")
        return value


class RequesterOut(BaseModel):
    id: uuid.UUID
    name: str


class MeetingRequestOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    requester: RequesterOut
    topic: str
    message: str | None
    preferred_times: list[datetime]
    status: MeetingStatus
    scheduled_at: datetime | None
    duration_minutes: int
    meeting_url: str | None
    sequence: int = Field(description="The calendar event's SEQUENCE: it grows with each change.")
    calendar_url: str | None = Field(description="The event's .ics, once the request was accepted.")
    created_at: datetime
    updated_at: datetime


class MeetingPage(Page[MeetingRequestOut]):
    pass

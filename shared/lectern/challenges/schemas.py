"""Challenge bodies: what an author sends, what a learner sees."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

from lectern.challenges.models import ChallengeDifficulty, Metric
from lectern.core.pagination import Page
from lectern.core.times import DateTimeText

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_TARGET = 1_000_000_000
LONGEST = timedelta(days=366)


class Status(enum.StrEnum):
    upcoming = "upcoming"
    active = "active"
    ended = "ended"


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE)
    ]
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] = ""
    difficulty: ChallengeDifficulty
    starts_at: DateTimeText
    ends_at: DateTimeText
    metric: Metric
    course_id: uuid.UUID | None = None
    target: Annotated[StrictInt, Field(ge=1, le=MAX_TARGET)]
    badge_id: uuid.UUID | None = Field(
        default=None, description="A badge awarded on reaching the target."
    )

    @model_validator(mode="after")
    def _window(self) -> ChallengeIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > LONGEST:
            raise ValueError("a challenge lasts at most 366 days (ends_at)")
        return self


class ChallengeOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    difficulty: ChallengeDifficulty
    starts_at: datetime
    ends_at: datetime
    metric: Metric
    course_id: uuid.UUID | None
    target: int
    badge_id: uuid.UUID | None
    status: Status
    joined: bool
    my_score: int | None = Field(description="The caller's score; null until they join.")
    completed_at: datetime | None = Field(description="When the caller reached the target.")


ChallengePage = Page[ChallengeOut]


class EntryOut(BaseModel):
    challenge_id: uuid.UUID
    score: int
    joined_at: datetime
    completed_at: datetime | None


class BoardEntryOut(BaseModel):
    rank: int
    user_id: uuid.UUID
    name: str
    score: int


class MyStandingOut(BaseModel):
    joined: bool
    rank: int | None = Field(description="null when not joined, or kept off leaderboards.")
    score: int | None
    completed_at: datetime | None


class ChallengeBoardOut(BaseModel):
    challenge_id: uuid.UUID
    participants: int = Field(description="Entrants on the board (visible ones).")
    entries: list[BoardEntryOut]
    me: MyStandingOut

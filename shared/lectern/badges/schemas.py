"""Badge bodies: an author's badge with its rule, and a learner's awards."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    model_validator,
)

from lectern.badges.models import THRESHOLD_RULES, RuleType

MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_URL = 2000
MAX_THRESHOLD = 1_000_000_000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleIn(_In):
    type: RuleType
    course_id: uuid.UUID | None = Field(
        default=None, description="course_completed: this course (any course when absent)."
    )
    challenge_id: uuid.UUID | None = Field(
        default=None,
        description="challenge_completed: this challenge (any challenge when absent).",
    )
    threshold: Annotated[StrictInt, Field(ge=1, le=MAX_THRESHOLD)] | None = Field(
        default=None, description="streak_days: days in a row; xp: total XP. Required for both."
    )

    @model_validator(mode="after")
    def _fits_the_type(self) -> RuleIn:
        if self.type in THRESHOLD_RULES and self.threshold is None:
            raise ValueError(f"threshold: a {self.type.value} rule needs a threshold")
        if self.type not in THRESHOLD_RULES and self.threshold is not None:
            raise ValueError(f"threshold: a {self.type.value} rule takes no threshold")
        if self.course_id is not None and self.type is not RuleType.course_completed:
            raise ValueError("course_id: only a course_completed rule names a course")
        if self.challenge_id is not None and self.type is not RuleType.challenge_completed:
            raise ValueError("challenge_id: only a challenge_completed rule names a challenge")
        return self


class BadgeIn(_In):
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)
    ]
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DESCRIPTION)
    ]
    image_url: Annotated[AnyHttpUrl, Field(max_length=MAX_URL)] | None = None
    rule: RuleIn


class RuleOut(BaseModel):
    type: RuleType
    course_id: uuid.UUID | None
    challenge_id: uuid.UUID | None
    threshold: int | None


class BadgeOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    image_url: str | None
    rule: RuleOut
    criteria: str = Field(description="What earns it, in words (the credential's criteria).")
    created_at: datetime


class AwardOut(BaseModel):
    badge: BadgeOut
    awarded_at: datetime
    assertion_id: uuid.UUID
    assertion_url: str = Field(description="The public Open Badges 3.0 credential.")


class AwardList(BaseModel):
    items: list[AwardOut]

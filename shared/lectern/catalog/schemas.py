"""Catalog bodies: what an author may send (``*In``, unknown fields refused) and what comes back.

PATCH bodies change only the fields sent. A field that may not be empty (a title, a
position ...) refuses an explicit ``null`` with a 422 naming it, rather than reading it as
"leave unchanged"; ``category`` and ``duration_minutes`` accept ``null`` to clear them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic.config import JsonDict

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_CATEGORY = 64
MAX_TAGS = 20
MAX_TAG = 40
MAX_CONTENT = 200_000
# Far above any real outline, far below int4: a position can never overflow the column.
MAX_POSITION = 1_000_000
MAX_DURATION_MINUTES = 1440


def normalize_tags(tags: list[str]) -> list[str]:
    """Lower-cased (by the type), blanks refused (by the type), duplicates dropped in order."""
    return list(dict.fromkeys(tags))


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
Category = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CATEGORY)
]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=MAX_TAG),
]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(normalize_tags)]
Content = Annotated[str, Field(max_length=MAX_CONTENT, description="Markdown")]
# Strict: "3" or 3.0 is not a position (the spec says integer).
Position = Annotated[int, Field(ge=0, le=MAX_POSITION, strict=True)]
Duration = Annotated[int, Field(ge=1, le=MAX_DURATION_MINUTES, strict=True)]


def _drop_null(schema: JsonDict) -> None:
    """In the spec, a field that refuses null is optional, not nullable."""
    schema.pop("default", None)
    any_of = schema.pop("anyOf", None)
    variants = [v for v in any_of if v != {"type": "null"}] if isinstance(any_of, list) else []
    if len(variants) == 1 and isinstance(variants[0], dict):
        schema.update(variants[0])
    elif variants:
        schema["anyOf"] = variants


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may not be null; leave the field out to keep its value")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CourseIn(_In):
    title: Title
    description: Description = ""
    category: Category | None = None
    tags: Tags = Field(default_factory=list)


class CourseUpdateIn(_In):
    title: Title | None = Field(default=None, json_schema_extra=_drop_null)
    description: Description | None = Field(default=None, json_schema_extra=_drop_null)
    category: Category | None = None
    tags: Tags | None = Field(default=None, json_schema_extra=_drop_null)

    _no_nulls = field_validator("title", "description", "tags", mode="before")(_not_null)


class ModuleIn(_In):
    title: Title
    position: Position | None = Field(default=None, description="Default: after the last one")


class ModuleUpdateIn(_In):
    title: Title | None = Field(default=None, json_schema_extra=_drop_null)
    position: Position | None = Field(default=None, json_schema_extra=_drop_null)

    _no_nulls = field_validator("title", "position", mode="before")(_not_null)


class LessonIn(_In):
    title: Title
    content: Content
    position: Position | None = Field(default=None, description="Default: after the last one")
    duration_minutes: Duration | None = None


class LessonUpdateIn(_In):
    title: Title | None = Field(default=None, json_schema_extra=_drop_null)
    content: Content | None = Field(default=None, json_schema_extra=_drop_null)
    position: Position | None = Field(default=None, json_schema_extra=_drop_null)
    duration_minutes: Duration | None = None

    _no_nulls = field_validator("title", "content", "position", mode="before")(_not_null)


class OwnerOut(BaseModel):
    """Who made a course, as anyone may see it: never an email."""

    id: uuid.UUID
    name: str


class CourseOut(BaseModel):
    id: uuid.UUID
    owner: OwnerOut
    title: str
    description: str
    category: str | None
    tags: list[str]
    published: bool
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LessonSummaryOut(BaseModel):
    id: uuid.UUID
    title: str
    position: int
    duration_minutes: int | None


class ModuleOutlineOut(BaseModel):
    id: uuid.UUID
    title: str
    position: int
    lessons: list[LessonSummaryOut]


class CourseDetailOut(CourseOut):
    modules: list[ModuleOutlineOut]


class ModuleOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    title: str
    position: int
    created_at: datetime
    updated_at: datetime


class LessonOut(BaseModel):
    id: uuid.UUID
    module_id: uuid.UUID
    course_id: uuid.UUID
    title: str
    content: str
    position: int
    duration_minutes: int | None
    created_at: datetime
    updated_at: datetime

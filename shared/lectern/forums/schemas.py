"""Forum bodies: what a member may send (unknown fields refused) and what comes back.

Bodies are markdown as written (``body``) and the sanitized HTML served with them
(``body_html``). An anonymous post's ``author`` is null to peers; its author and the
course's moderators see who wrote it. A deleted post keeps its place and reads as
deleted (no title, body or author).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from lectern.core.pagination import Page

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_REASON = 500

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE)]
Body = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_BODY),
    Field(description="Markdown; served back as written and as sanitized HTML."),
]
Sort = Literal["recent", "top", "unanswered"]
VoteValue = Literal[1, -1, 0]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("may not be blank")
    return value


class ThreadIn(_In):
    title: Title
    body: Body
    anonymous: bool = False

    _body = field_validator("body")(_not_blank)


class ThreadUpdateIn(_In):
    """The author changes ``title`` and ``body``; a moderator ``pinned`` and ``closed``."""

    title: Title | None = None
    body: Body | None = None
    pinned: bool | None = None
    closed: bool | None = None

    @field_validator("title", "body", "pinned", "closed", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value

    _body = field_validator("body")(_not_blank)


class ReplyIn(_In):
    body: Body
    parent_id: uuid.UUID | None = Field(
        default=None, description="A top-level reply of the same thread this one answers."
    )
    anonymous: bool = False

    _body = field_validator("body")(_not_blank)


class VoteIn(_In):
    value: VoteValue = Field(description="1 up, -1 down, 0 takes the vote back.")


class FlagIn(_In):
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON)
    ]


class AuthorOut(BaseModel):
    id: uuid.UUID
    name: str


class ThreadOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    title: str
    body: str
    body_html: str
    author: AuthorOut | None
    anonymous: bool
    score: int
    reply_count: int
    pinned: bool
    closed: bool
    deleted: bool
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    my_vote: int = Field(description="The caller's vote: 1, -1 or 0.")


class ThreadDetailOut(ThreadOut):
    following: bool


class ReplyOut(BaseModel):
    id: uuid.UUID
    thread_id: uuid.UUID
    parent_id: uuid.UUID | None
    body: str
    body_html: str
    author: AuthorOut | None
    anonymous: bool
    score: int
    endorsed: bool
    deleted: bool
    created_at: datetime
    updated_at: datetime
    my_vote: int = Field(description="The caller's vote: 1, -1 or 0.")


class ThreadPage(Page[ThreadOut]):
    pass


class ReplyPage(Page[ReplyOut]):
    pass


class VoteOut(BaseModel):
    score: int
    my_vote: int


class FlagOut(BaseModel):
    id: uuid.UUID
    thread_id: uuid.UUID
    reply_id: uuid.UUID | None
    reason: str
    created_at: datetime
    flagged_by: AuthorOut | None
    excerpt: str = Field(description="The start of the flagged post's markdown.")


class FlagPage(Page[FlagOut]):
    pass

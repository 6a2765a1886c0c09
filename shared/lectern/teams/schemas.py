"""Team bodies: what a client may send (no ids, no counts, no roles it cannot give) and
what it gets back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lectern.core.pagination import Page
from lectern.identity.schemas import Email, Token

MAX_NAME = 100
MAX_DESCRIPTION = 2000
MAX_ASSIGNED_COURSES = 100

TeamName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamIn(_In):
    name: TeamName
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] | None = None


class TeamSettingsIn(_In):
    assigned_course_ids: list[uuid.UUID] = Field(
        max_length=MAX_ASSIGNED_COURSES,
        description="The courses whose progress the team's owners and admins follow.",
    )


class TeamUpdateIn(_In):
    name: TeamName | None = None
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] | None = None
    settings: TeamSettingsIn | None = None


class TeamSettingsOut(BaseModel):
    assigned_course_ids: list[uuid.UUID]


class TeamOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    my_role: Literal["owner", "admin", "member"] | None = Field(
        description="The caller's role; null for a platform admin who is not a member."
    )
    member_count: int
    seats: int = Field(description="Members and open invitations the team may have.")
    plan: str
    settings: TeamSettingsOut
    created_at: datetime


class TeamList(BaseModel):
    items: list[TeamOut]


class TeamPersonOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None = Field(default=None, description="Shown to platform admins only.")


class MemberOut(BaseModel):
    team_id: uuid.UUID
    user: TeamPersonOut
    role: Literal["owner", "admin", "member"]
    joined_at: datetime


class MemberPage(Page[MemberOut]):
    pass


class InvitationIn(_In):
    email: Email
    role: Literal["member", "admin"] = "member"


class InvitationOut(BaseModel):
    id: uuid.UUID
    team_id: uuid.UUID
    email: str
    role: Literal["member", "admin"]
    created_at: datetime
    expires_at: datetime


class AcceptIn(_In):
    token: Token


class MemberRoleIn(_In):
    role: Literal["owner", "admin", "member"]


class CourseProgressOut(BaseModel):
    course_id: uuid.UUID
    progress: float = Field(description="0 to 1; 0 when not enrolled.")
    enrolled: bool
    completed_at: datetime | None


class MemberProgressOut(BaseModel):
    user: TeamPersonOut
    courses: list[CourseProgressOut]


class ProgressPage(Page[MemberProgressOut]):
    pass


class TeamCertificateOut(BaseModel):
    id: uuid.UUID
    user: TeamPersonOut
    course_id: uuid.UUID | None
    course_title: str
    code: str
    issued_at: datetime


class CertificateList(BaseModel):
    items: list[TeamCertificateOut]

"""Teams, their members (one role each), the courses assigned to them, and invitations.

An invitation's token exists only once it is mailed: the relay's delivery draws it and
keeps its SHA-256 (``token_hash``), so no raw token is ever at rest.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column


class TeamRole(enum.StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"


# Who manages the team: its settings, members and invitations.
MANAGERS = frozenset({TeamRole.owner, TeamRole.admin})


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'admin', 'member')", name="role_known"),
        # A user's teams (GET /v1/me/teams, entitlements through a team).
        Index("ix_team_members_user_id", "user_id"),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(Text, nullable=False)
    joined_at: Mapped[datetime] = created_at_column()


class TeamCourse(Base):
    """A course assigned to the team: its managers follow their members' progress in it."""

    __tablename__ = "team_courses"
    __table_args__ = (Index("ix_team_courses_course_id", "course_id"),)

    team_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    assigned_at: Mapped[datetime] = created_at_column()


class TeamInvitation(Base):
    __tablename__ = "team_invitations"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'member')", name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        # One open invitation per address and team: a new one replaces it.
        Index(
            "uq_team_invitations_team_id_email_open",
            "team_id",
            "email",
            unique=True,
            postgresql_where=text("accepted_at IS NULL"),
        ),
        Index("ix_team_invitations_email", "email"),
        Index("ix_team_invitations_invitee_id", "invitee_id"),
        Index("ix_team_invitations_expires_at", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    team_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("teams.id", ondelete="CASCADE"), nullable=False
    )
    email: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    # Set once mailed (the relay draws the token); NULL until then.
    token_hash: Mapped[str | None] = mapped_column(Text, unique=True)
    # The account the address belonged to when invited, or that accepted.
    invitee_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    )
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

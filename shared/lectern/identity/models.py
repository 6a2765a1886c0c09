"""Identity: users (who), profiles (what they show and earn) and credentials (how they prove it)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lectern.core.ids import uuid7
from lectern.core.principal import UserRole
from lectern.db.base import Base, created_at_column, updated_at_column

# The name an erased account shows, and leaderboards show for a learner no longer there.
DELETED_USER_NAME = "Deleted user"

user_role_enum = Enum(UserRole, name="user_role", values_callable=lambda e: [m.value for m in e])


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    # Lower-cased by the app and the check above: a unique index on it acts as citext would.
    email: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the user proved they read mail at this address (a magic link or a verification
    # link); the full AI quota waits for it.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    profile: Mapped[Profile] = relationship(
        back_populates="user", lazy="joined", innerjoin=True, uselist=False
    )


class Profile(Base):
    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("xp >= 0", name="xp_not_negative"),
        CheckConstraint("level >= 1", name="level_positive"),
        CheckConstraint("streak_days >= 0", name="streak_not_negative"),
        CheckConstraint("weekly_xp >= 0", name="weekly_xp_not_negative"),
        CheckConstraint("plan IN ('free', 'pro')", name="plan_known"),
        # The scheduled leaderboard refresh reads the profiles changed since its last run.
        Index("ix_profiles_updated_at", "updated_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    display_name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[UserRole] = mapped_column(
        user_role_enum, nullable=False, server_default=UserRole.student.value, index=True
    )
    xp: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    level: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    streak_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    last_active_on: Mapped[date | None] = mapped_column(Date)
    # XP earned in the ISO week starting on ``xp_week`` (a Monday): the weekly leaderboard.
    weekly_xp: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    xp_week: Mapped[date | None] = mapped_column(Date)
    # The subscription plan: it sets the monthly AI quota (Settings.ai.monthly_requests).
    plan: Mapped[str] = mapped_column(Text, nullable=False, server_default="free")
    preferences: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    # A learner may keep off the leaderboards (their XP still counts for them).
    leaderboard_visible: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("true")
    )
    updated_at: Mapped[datetime] = updated_at_column()

    user: Mapped[User] = relationship(back_populates="profile")


class Credential(Base):
    """Password hashes live apart from users, so a read of users never carries one."""

    __tablename__ = "credentials"

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()

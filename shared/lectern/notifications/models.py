"""The inbox, its unread counters and each user's preferences per notification type."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column

EMAIL_CHOICES = ("off", "immediate", "daily")


class Notification(Base):
    """One notification of one user. ``in_app`` rows are their inbox; a row kept only for
    mail (in-app off) is never listed. ``digest_due`` rows wait for the daily digest,
    which stamps them with its ``digest_id``."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The inbox, newest first (and every lookup by user, erasure's included).
        Index("ix_notifications_user_id_created_at_id", "user_id", "created_at", "id"),
        # ?unread=true: only the unread rows, however many were read.
        Index(
            "ix_notifications_unread",
            "user_id",
            "created_at",
            "id",
            postgresql_where=text("in_app AND read_at IS NULL"),
        ),
        # The digest task finds the rows due, and the relay a digest's rows.
        Index("ix_notifications_digest_due", "created_at", postgresql_where=text("digest_due")),
        Index(
            "ix_notifications_digest_id",
            "digest_id",
            postgresql_where=text("digest_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    type: Mapped[str] = mapped_column(Text, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    # A path of the frontend (``/courses/<id>/threads/<id>``).
    link: Mapped[str | None] = mapped_column(Text)
    in_app: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    digest_due: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    digest_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationCounter(Base):
    """A user's unread in-app notifications, kept by the writes that change them (in
    their transactions), so the badge is one primary-key read."""

    __tablename__ = "notification_counters"
    __table_args__ = (CheckConstraint("unread >= 0", name="unread_not_negative"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    unread: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class NotificationPreference(Base):
    """What a user chose for one type; a type without a row has its registered defaults."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        CheckConstraint("email IN ('off', 'immediate', 'daily')", name="email_known"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(Text, primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean, nullable=False)
    email: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()

"""A course's forum: threads, replies (a reply may answer a reply, one level), votes with
their scores kept on the posts, follows and flags.

Scores and reply counts are counters on the post, moved in the transaction of the vote
or reply that changes them; the list sorts read them through partial indexes of the
live threads, pinned first, so a page costs the same at any depth.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lectern.core.ids import uuid7
from lectern.db.base import Base, created_at_column, updated_at_column

_LIVE = text("deleted_at IS NULL")


def _author() -> Mapped[uuid.UUID | None]:
    # Erasure sets it to NULL: the post stays, its author is gone.
    return mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class ForumThread(Base):
    __tablename__ = "forum_threads"
    __table_args__ = (
        CheckConstraint("reply_count >= 0", name="reply_count_not_negative"),
        # The list's three sorts, each pinned first, over the live threads only.
        Index(
            "ix_forum_threads_top",
            "course_id",
            "pinned",
            "score",
            "id",
            postgresql_where=_LIVE,
        ),
        # Whole, not partial: it also serves the cascade of a course's deletion.
        Index("ix_forum_threads_recent", "course_id", "pinned", "last_activity_at", "id"),
        Index(
            "ix_forum_threads_unanswered",
            "course_id",
            "pinned",
            "id",
            postgresql_where=text("deleted_at IS NULL AND reply_count = 0"),
        ),
        Index("ix_forum_threads_author_id", "author_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    course_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[uuid.UUID | None] = _author()
    title: Mapped[str] = mapped_column(Text, nullable=False)
    # As written (markdown), and as served (rendered and sanitized once, at the write).
    body: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    score: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    # Live replies (a deleted one no longer counts).
    reply_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    pinned: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    closed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    # The thread's creation or its latest reply: the "recent" sort.
    last_activity_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ForumReply(Base):
    __tablename__ = "forum_replies"
    __table_args__ = (
        # A thread's replies, endorsed first, then oldest first.
        Index(
            "ix_forum_replies_thread_id_endorsed_created_at_id",
            "thread_id",
            "endorsed",
            "created_at",
            "id",
        ),
        Index("ix_forum_replies_parent_id", "parent_id"),
        Index("ix_forum_replies_author_id", "author_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    thread_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("forum_threads.id", ondelete="CASCADE"), nullable=False
    )
    # A reply to a top-level reply (one level only; the service holds that rule).
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("forum_replies.id", ondelete="CASCADE")
    )
    author_id: Mapped[uuid.UUID | None] = _author()
    body: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    score: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    endorsed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ThreadVote(Base):
    """One user's vote on a thread (a vote of 0 is no row)."""

    __tablename__ = "forum_thread_votes"
    __table_args__ = (
        CheckConstraint("value IN (-1, 1)", name="value_known"),
        Index("ix_forum_thread_votes_user_id", "user_id"),
    )

    thread_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()


class ReplyVote(Base):
    """One user's vote on a reply (a vote of 0 is no row)."""

    __tablename__ = "forum_reply_votes"
    __table_args__ = (
        CheckConstraint("value IN (-1, 1)", name="value_known"),
        Index("ix_forum_reply_votes_user_id", "user_id"),
    )

    reply_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("forum_replies.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()


class ThreadFollow(Base):
    """Who hears of a thread's replies (its author from the start)."""

    __tablename__ = "forum_follows"
    __table_args__ = (Index("ix_forum_follows_user_id", "user_id"),)

    thread_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = created_at_column()


class ForumFlag(Base):
    """A post someone flagged, with their reason: the course's moderation queue. One per
    user and post (``reply_id`` NULL: the thread itself)."""

    __tablename__ = "forum_flags"
    __table_args__ = (
        Index("ix_forum_flags_course_id_created_at_id", "course_id", "created_at", "id"),
        Index(
            "uq_forum_flags_user_id_thread_id",
            "user_id",
            "thread_id",
            unique=True,
            postgresql_where=text("reply_id IS NULL"),
        ),
        Index(
            "uq_forum_flags_user_id_reply_id",
            "user_id",
            "reply_id",
            unique=True,
            postgresql_where=text("reply_id IS NOT NULL"),
        ),
        Index("ix_forum_flags_thread_id", "thread_id"),
        Index("ix_forum_flags_reply_id", "reply_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    course_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("courses.id", ondelete="CASCADE"), nullable=False
    )
    thread_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("forum_threads.id", ondelete="CASCADE"), nullable=False
    )
    reply_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("forum_replies.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = created_at_column()

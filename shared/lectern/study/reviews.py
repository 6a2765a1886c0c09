"""Reviews with FSRS, the review queue and the learner's study stats.

A review locks its card's row, so reviews of one card apply one after another. Within
the lock a retried review is found by its client id (the body's ``client_id`` or the
``Idempotency-Key`` header) or by (card, reviewed_at) and answered from the stored row:
two concurrent requests with one key store one review. The unique constraints on both
keep that true even for a writer that skips the lock.

Days are UTC days, as for XP streaks.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.core.principal import Principal
from lectern.errors import Conflict, InvalidField
from lectern.identity.models import Profile
from lectern.study import scheduling
from lectern.study.access import own_item
from lectern.study.items import out, schedule_of, set_schedule
from lectern.study.models import CardState, ItemType, ReviewRating, StudyItem, StudyReview
from lectern.study.schemas import QueueOut, ReviewIn, ReviewOut, StudyStatsOut

# A client's clock may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)
# The learner's preference that overrides LECTERN_STUDY_NEW_CARDS_PER_DAY.
NEW_CARDS_PREFERENCE = "study_new_cards_per_day"
MAX_NEW_CARDS_PREFERENCE = 9999
# The streak is counted back at most this many days (one index probe a day).
MAX_STREAK_DAYS = 3660
RETENTION_DAYS = 30


def day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def review_out(review: StudyReview) -> ReviewOut:
    interval = (review.due_after - review.reviewed_at).total_seconds() / 86400
    return ReviewOut(
        id=review.id,
        item_id=review.item_id,
        rating=review.rating,
        reviewed_at=review.reviewed_at,
        due=review.due_after,
        state=review.state_after,
        stability=review.stability_after,
        difficulty=review.difficulty_after,
        interval_days=round(interval, 6),
    )


def _replay(
    stored: StudyReview, rating: ReviewRating, key: str | None, at: datetime | None
) -> ReviewOut:
    """The stored review a retry asks for again, or a 409 if the retry says otherwise."""
    if key is not None and stored.client_id is not None and stored.client_id != key:
        raise Conflict("Another review of this card is recorded at that reviewed_at.")
    if stored.rating != rating or (at is not None and stored.reviewed_at != at):
        raise Conflict("That review was already recorded with another rating or time.")
    return review_out(stored)


def _stored(
    db: Session, item_id: uuid.UUID, key: str | None, at: datetime | None
) -> StudyReview | None:
    matches = []
    if key is not None:
        matches.append(StudyReview.client_id == key)
    if at is not None:
        matches.append(StudyReview.reviewed_at == at)
    if not matches:
        return None
    return db.scalars(
        select(StudyReview)
        .where(StudyReview.item_id == item_id, or_(*matches))
        .order_by(StudyReview.reviewed_at)
        .limit(1)
    ).first()


def review(
    db: Session,
    principal: Principal,
    item_id: uuid.UUID,
    data: ReviewIn,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> ReviewOut:
    if data.client_id and idempotency_key and data.client_id != idempotency_key:
        raise InvalidField("client_id", "differs from the Idempotency-Key header")
    key = data.client_id or idempotency_key
    sent_at = data.reviewed_at.astimezone(UTC) if data.reviewed_at else None
    if sent_at is not None and sent_at > (now or datetime.now(UTC)) + CLOCK_SKEW:
        raise InvalidField("reviewed_at", "is in the future")
    item = own_item(db, principal, item_id, lock=True)
    # The server's time is read once the card is locked, so reviews that waited for the
    # lock still come later than the one before them.
    at = sent_at or now or datetime.now(UTC)
    if item.type != ItemType.flashcard:
        raise Conflict("Notes are read, not reviewed.")
    stored = _stored(db, item.id, key, sent_at)
    if stored is not None:
        result = _replay(stored, data.rating, key, sent_at)
        db.rollback()
        return result
    before = schedule_of(item)
    if before is None:  # a check constraint gives every flashcard a schedule
        raise Conflict("This card has no schedule.")
    if before.last_reviewed_at is not None and at <= before.last_reviewed_at:
        raise Conflict("A later review of this card is already recorded.")
    after = scheduling.review(before, data.rating, at)
    row = StudyReview(
        item_id=item.id,
        user_id=principal.user_id,
        client_id=key,
        rating=data.rating,
        reviewed_at=at,
        duration_ms=data.duration_ms,
        state_before=before.state,
        step_before=before.step,
        stability_before=before.stability,
        difficulty_before=before.difficulty,
        due_before=before.due,
        state_after=after.state,
        step_after=after.step,
        stability_after=after.stability,
        difficulty_after=after.difficulty,
        due_after=after.due,
    )
    db.add(row)
    set_schedule(item, after)
    item.reps += 1
    if before.state == CardState.review and data.rating == ReviewRating.again:
        item.lapses += 1
    try:
        db.commit()
    except IntegrityError:
        # Only a writer that skipped the lock gets here; its review is the one kept.
        db.rollback()
        stored = _stored(db, item_id, key, at)
        if stored is None:
            raise
        return _replay(stored, data.rating, key, sent_at)
    return review_out(row)


def new_cards_per_day(db: Session, user_id: uuid.UUID) -> int:
    preferences: dict[str, Any] | None = db.scalar(
        select(Profile.preferences).where(Profile.user_id == user_id)
    )
    value = (preferences or {}).get(NEW_CARDS_PREFERENCE)
    if isinstance(value, int) and not isinstance(value, bool):
        return max(0, min(value, MAX_NEW_CARDS_PREFERENCE))
    return get_settings().study.new_cards_per_day


def _new_started_today(db: Session, user_id: uuid.UUID, now: datetime) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(StudyReview)
            .where(
                StudyReview.user_id == user_id,
                StudyReview.reviewed_at >= day_start(now),
                StudyReview.state_before == CardState.new,
            )
        )
        or 0
    )


def _reviewed_cards(user_id: uuid.UUID) -> Any:
    # The partial index's predicate, spelled as it is: the planner then uses it.
    return (
        StudyItem.user_id == user_id,
        StudyItem.state.is_not(None),
        StudyItem.state != CardState.new,
    )


def queue(
    db: Session, principal: Principal, *, limit: int, now: datetime | None = None
) -> QueueOut:
    """Due cards, most overdue first, then new cards (oldest first) while today's new-card
    allowance lasts."""
    now = now or datetime.now(UTC)
    reviewed = _reviewed_cards(principal.user_id)
    due = list(
        db.scalars(
            select(StudyItem)
            .where(*reviewed, StudyItem.due <= now)
            .order_by(StudyItem.due, StudyItem.id)
            .limit(limit)
        )
    )
    due_count = (
        len(due)
        if len(due) < limit
        else int(
            db.scalar(
                select(func.count()).select_from(StudyItem).where(*reviewed, StudyItem.due <= now)
            )
            or 0
        )
    )
    remaining = max(
        0,
        new_cards_per_day(db, principal.user_id) - _new_started_today(db, principal.user_id, now),
    )
    room = min(limit - len(due), remaining)
    new = (
        list(
            db.scalars(
                select(StudyItem)
                .where(StudyItem.user_id == principal.user_id, StudyItem.state == CardState.new)
                .order_by(StudyItem.created_at, StudyItem.id)
                .limit(room)
            )
        )
        if room > 0
        else []
    )
    return QueueOut(
        items=[out(item, now) for item in due + new],
        due_count=due_count,
        new_remaining_today=remaining,
    )


# Consecutive UTC days with a review, back from ``start``: one index probe a day.
_STREAK = text(
    """
    WITH RECURSIVE streak(day, n) AS (
        SELECT CAST(:start AS date), 1
        WHERE EXISTS (SELECT 1 FROM study_reviews WHERE user_id = :me
                      AND reviewed_at >= CAST(:start AS date)::timestamp AT TIME ZONE 'UTC'
                      AND reviewed_at < (CAST(:start AS date) + 1)::timestamp AT TIME ZONE 'UTC')
        UNION ALL
        SELECT day - 1, n + 1 FROM streak
        WHERE n < :cap AND EXISTS (
            SELECT 1 FROM study_reviews WHERE user_id = :me
            AND reviewed_at >= (day - 1)::timestamp AT TIME ZONE 'UTC'
            AND reviewed_at < day::timestamp AT TIME ZONE 'UTC')
    )
    SELECT count(*) FROM streak
    """
)


def stats(db: Session, principal: Principal, *, now: datetime | None = None) -> StudyStatsOut:
    now = now or datetime.now(UTC)
    me = principal.user_id
    today = day_start(now)
    due_today = db.scalar(
        select(func.count())
        .select_from(StudyItem)
        .where(*_reviewed_cards(me), StudyItem.due < today + timedelta(days=1))
    )
    reviewed_today = int(
        db.scalar(
            select(func.count())
            .select_from(StudyReview)
            .where(StudyReview.user_id == me, StudyReview.reviewed_at >= today)
        )
        or 0
    )
    passed, total = db.execute(
        select(
            func.count().filter(StudyReview.rating != ReviewRating.again),
            func.count(),
        ).where(
            StudyReview.user_id == me,
            StudyReview.reviewed_at >= now - timedelta(days=RETENTION_DAYS),
            StudyReview.state_before == CardState.review,
        )
    ).one()
    # A streak not yet extended today still stands until the day ends.
    start = today if reviewed_today else today - timedelta(days=1)
    streak = db.scalar(_STREAK, {"start": start.date(), "me": me, "cap": MAX_STREAK_DAYS})
    new_total = db.scalar(
        select(func.count())
        .select_from(StudyItem)
        .where(StudyItem.user_id == me, StudyItem.state == CardState.new)
    )
    remaining = max(0, new_cards_per_day(db, me) - _new_started_today(db, me, now))
    return StudyStatsOut(
        due_today=int(due_today or 0),
        reviewed_today=reviewed_today,
        retention_30d=round(passed / total, 4) if total else None,
        streak_days=int(streak or 0),
        new_available_today=min(int(new_total or 0), remaining),
    )

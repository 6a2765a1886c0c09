"""FSRS reviews against the real Postgres: the package's own scheduler decides every due
date, "again" brings a card back the same day, retries are replays (also concurrent
ones), and the queue and stats read what the reviews left."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lectern.db.engine import get_sessionmaker
from lectern.errors import Conflict, InvalidField, NotFound
from lectern.study import items, reviews
from lectern.study.models import StudyItem, StudyReview
from lectern.study.schemas import ItemIn, ReviewIn
from tests.factories import Account, make_account

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SEQUENCE = [
    # (rating, minutes after the previous review)
    ("good", 0),
    ("good", 10),
    ("good", 60 * 24 * 3),
    ("again", 60 * 24 * 9),
    ("hard", 15),
    ("good", 60 * 24 * 2),
    ("easy", 60 * 24 * 7),
    ("good", 60 * 24 * 40),
]
FSRS_RATINGS = {
    "again": Rating.Again,
    "hard": Rating.Hard,
    "good": Rating.Good,
    "easy": Rating.Easy,
}
FSRS_STATES = {State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}


@pytest.fixture
def no_fuzz(settings_env: pytest.MonkeyPatch) -> None:
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_STUDY_FUZZ", "false")
    reset_clients()


def card(db: Session, who: Account, front: str = "Q", created: datetime | None = None) -> Any:
    out = items.create_item(
        db,
        who.principal,
        ItemIn(type="flashcard", front=front, back="A"),  # type: ignore[arg-type]
    )
    if created is not None:
        item = db.get(StudyItem, out.id)
        assert item is not None
        item.created_at = item.due = created
        db.commit()
    return out


def rate(db: Session, who: Account, item_id: uuid.UUID, rating: str, at: datetime) -> Any:
    """A review answered at ``at``, with the clock at that time too."""
    body = ReviewIn(rating=rating, reviewed_at=at)  # type: ignore[arg-type]
    return reviews.review(db, who.principal, item_id, body, now=at)  # type: ignore[arg-type]


def _replay_through_fsrs(scheduler: Scheduler) -> list[tuple[datetime, str, float, float]]:
    fsrs_card = Card(card_id=1, due=T0)
    at = T0
    expected = []
    for rating, minutes in SEQUENCE:
        at += timedelta(minutes=minutes)
        fsrs_card, _ = scheduler.review_card(fsrs_card, FSRS_RATINGS[rating], at)
        expected.append(
            (
                fsrs_card.due,
                FSRS_STATES[fsrs_card.state],
                fsrs_card.stability,
                fsrs_card.difficulty,
            )
        )
    return expected


def _replay_through_service(db: Session, who: Account) -> list[tuple[datetime, str, float, float]]:
    item = card(db, who, created=T0)
    at = T0
    got = []
    for rating, minutes in SEQUENCE:
        at += timedelta(minutes=minutes)
        out = rate(db, who, item.id, rating, at)
        got.append((out.due, out.state.value, out.stability, out.difficulty))
    return got


def test_a_review_sequence_schedules_exactly_as_the_fsrs_package(db: Session, no_fuzz):
    learner = make_account(db)
    expected = _replay_through_fsrs(Scheduler(enable_fuzzing=False))
    assert _replay_through_service(db, learner) == expected
    # The states went through learning, review and relearning: the sequence is not trivial.
    assert {state for _, state, _, _ in expected} == {"learning", "review", "relearning"}


def test_with_fuzz_the_same_random_draws_give_the_same_dates(db: Session):
    learner = make_account(db)
    random.seed(15)
    expected = _replay_through_fsrs(Scheduler())
    random.seed(15)
    got = _replay_through_service(db, learner)
    assert got == expected
    random.seed(16)
    assert _replay_through_fsrs(Scheduler()) != expected  # the fuzz is real


def test_desired_retention_is_the_setting(db: Session, settings_env: pytest.MonkeyPatch):
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_STUDY_FUZZ", "false")
    settings_env.setenv("LECTERN_STUDY_DESIRED_RETENTION", "0.8")
    reset_clients()
    learner = make_account(db)
    scheduler = Scheduler(desired_retention=0.8, enable_fuzzing=False)
    assert _replay_through_service(db, learner) == _replay_through_fsrs(scheduler)


def test_again_brings_a_card_back_the_same_day(db: Session, no_fuzz):
    learner = make_account(db)
    new = card(db, learner, created=T0)
    first = rate(db, learner, new.id, "again", T0)
    assert first.state.value == "learning"
    assert first.due.date() == T0.date() and first.interval_days < 1 / 24

    graduated = card(db, learner, created=T0)
    rate(db, learner, graduated.id, "easy", T0)  # straight to review
    later = T0 + timedelta(days=20)
    lapse = rate(db, learner, graduated.id, "again", later)
    assert lapse.state.value == "relearning"
    assert lapse.due.date() == later.date()
    assert timedelta(0) < lapse.due - later <= timedelta(minutes=10)
    item = db.get(StudyItem, graduated.id, populate_existing=True)
    assert item is not None and (item.reps, item.lapses) == (2, 1)
    # Not yet due a minute later; in the queue once its ten minutes are up.
    queue = reviews.queue(db, learner.principal, limit=10, now=later + timedelta(minutes=1))
    assert graduated.id not in [i.id for i in queue.items]
    queue = reviews.queue(db, learner.principal, limit=10, now=lapse.due)
    assert graduated.id in [i.id for i in queue.items]


def test_a_retry_with_the_same_key_or_time_is_a_replay(db: Session):
    learner = make_account(db)
    item = card(db, learner)
    now = datetime.now(UTC)
    first = reviews.review(
        db, learner.principal, item.id, ReviewIn(rating="good", client_id="r-1"), now=now
    )  # type: ignore[arg-type]
    again = reviews.review(
        db,
        learner.principal,
        item.id,
        ReviewIn(rating="good"),  # type: ignore[arg-type]
        idempotency_key="r-1",
        now=now + timedelta(seconds=30),
    )
    assert again == first
    at = now + timedelta(minutes=20)
    timed = rate(db, learner, item.id, "hard", at)
    assert rate(db, learner, item.id, "hard", at) == timed
    with pytest.raises(Conflict):
        rate(db, learner, item.id, "easy", at)  # same time, another rating
    with pytest.raises(Conflict):
        reviews.review(
            db, learner.principal, item.id, ReviewIn(rating="easy", client_id="r-1"), now=at
        )  # type: ignore[arg-type]
    count = db.scalar(select(func.count()).where(StudyReview.item_id == item.id))
    assert count == 2


def test_review_in_the_future_or_before_the_last_is_refused(db: Session):
    learner = make_account(db)
    item = card(db, learner)
    now = datetime.now(UTC)
    with pytest.raises(InvalidField) as caught:
        reviews.review(
            db,
            learner.principal,
            item.id,
            ReviewIn(rating="good", reviewed_at=now + timedelta(hours=1)),  # type: ignore[arg-type]
            now=now,
        )
    assert caught.value.field == "reviewed_at"
    rate(db, learner, item.id, "good", now)
    with pytest.raises(Conflict):
        rate(db, learner, item.id, "good", now - timedelta(minutes=5))
    note = items.create_item(db, learner.principal, ItemIn(type="note", content="x"))  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        rate(db, learner, note.id, "good", now)
    other = make_account(db)
    with pytest.raises(NotFound):
        rate(db, other, item.id, "good", now + timedelta(minutes=1))  # not theirs
    assert db.scalar(select(func.count()).where(StudyReview.user_id == learner.id)) == 1


def test_concurrent_reviews_with_one_key_store_one_review(db: Session):
    learner = make_account(db)
    item = card(db, learner)
    start = threading.Barrier(6)
    results: list[Any] = []
    errors: list[BaseException] = []

    def review_once() -> None:
        with get_sessionmaker()() as session:
            start.wait()
            try:
                results.append(
                    reviews.review(
                        session,
                        learner.principal,  # type: ignore[arg-type]
                        item.id,
                        ReviewIn(rating="good"),  # type: ignore[arg-type]
                        idempotency_key="tap-42",
                    )
                )
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=review_once) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 6 and all(r == results[0] for r in results)
    stored = db.scalars(select(StudyReview).where(StudyReview.item_id == item.id)).all()
    assert len(stored) == 1
    row = db.get(StudyItem, item.id, populate_existing=True)
    assert row is not None and row.reps == 1


def test_concurrent_reviews_with_different_keys_apply_one_after_another(db: Session):
    learner = make_account(db)
    item = card(db, learner)
    start = threading.Barrier(4)

    def review_once(n: int) -> None:
        with get_sessionmaker()() as session:
            start.wait()
            reviews.review(
                session,
                learner.principal,  # type: ignore[arg-type]
                item.id,
                ReviewIn(rating="good", client_id=f"k-{n}"),  # type: ignore[arg-type]
            )

    threads = [threading.Thread(target=review_once, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = db.scalars(
        select(StudyReview).where(StudyReview.item_id == item.id).order_by(StudyReview.reviewed_at)
    ).all()
    assert len(stored) == 4
    # Each review started from the state the one before it left.
    for earlier, later in pairwise(stored):
        assert later.due_before == earlier.due_after
        assert later.stability_before == earlier.stability_after


def test_queue_due_most_overdue_first_then_new_up_to_the_daily_limit(db: Session):
    from lectern.identity.models import Profile

    learner = make_account(db)
    now = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    old = [card(db, learner, f"old {n}", created=now - timedelta(days=30)) for n in range(3)]
    # Reviewed long ago at different times: all due now, at different due dates.
    for n, item in enumerate(old):
        rate(db, learner, item.id, "easy", now - timedelta(days=30 - n * 5))
    fresh = [card(db, learner, f"new {n}", created=now - timedelta(hours=5 - n)) for n in range(5)]
    profile = db.get(Profile, learner.id)
    assert profile is not None
    profile.preferences = {"study_new_cards_per_day": 3}
    db.commit()

    queue = reviews.queue(db, learner.principal, limit=10, now=now)
    due_ids = [i.id for i in queue.items[:3]]
    dues = [i.due for i in queue.items[:3]]
    assert set(due_ids) == {i.id for i in old} and dues == sorted(dues)
    assert [i.id for i in queue.items[3:]] == [i.id for i in fresh[:3]]
    assert (queue.due_count, queue.new_remaining_today) == (3, 3)

    # Starting a new card today uses the allowance; a limit of 2 cuts the list.
    rate(db, learner, fresh[0].id, "good", now)
    queue = reviews.queue(db, learner.principal, limit=10, now=now + timedelta(seconds=1))
    assert queue.new_remaining_today == 2
    assert [i.id for i in queue.items if i.state.value == "new"] == [fresh[1].id, fresh[2].id]
    assert len(reviews.queue(db, learner.principal, limit=2, now=now).items) == 2
    # Tomorrow the allowance is whole again.
    tomorrow = reviews.queue(db, learner.principal, limit=20, now=now + timedelta(days=1))
    assert tomorrow.new_remaining_today == 3


def test_stats_due_reviewed_retention_and_streak(db: Session, no_fuzz):
    learner = make_account(db)
    now = datetime(2026, 6, 20, 15, 0, tzinfo=UTC)
    empty = reviews.stats(db, learner.principal, now=now)
    assert (empty.due_today, empty.reviewed_today, empty.retention_30d, empty.streak_days) == (
        0,
        0,
        None,
        0,
    )
    # One review a day for the last four days, ending yesterday, on fresh cards.
    for days_ago in (4, 3, 2, 1):
        item = card(db, learner, f"day {days_ago}", created=now - timedelta(days=10))
        rate(db, learner, item.id, "good", now - timedelta(days=days_ago))
    assert reviews.stats(db, learner.principal, now=now).streak_days == 4  # today not yet
    # Cards in review: two pass, one lapses (retention 2/3), today.
    for n, rating in enumerate(("good", "hard", "again")):
        item = card(db, learner, f"mature {n}", created=now - timedelta(days=60))
        rate(db, learner, item.id, "easy", now - timedelta(days=50))
        rate(db, learner, item.id, rating, now - timedelta(minutes=30 - n))
    stats = reviews.stats(db, learner.principal, now=now)
    assert stats.streak_days == 5
    assert stats.reviewed_today == 3
    assert stats.retention_30d == round(2 / 3, 4)
    # Due by the end of today: the four learning cards of the last days (due again ten
    # minutes after their review) and the lapsed one; the two that passed are days away.
    assert stats.due_today == 5
    assert stats.new_available_today == 0
    # A gap ends the streak: two days without a review.
    assert reviews.stats(db, learner.principal, now=now + timedelta(days=2)).streak_days == 0

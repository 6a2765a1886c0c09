"""FSRS through the ``fsrs`` package: its scheduler decides, this module only translates.

A stored card becomes an ``fsrs.Card``, the package's ``Scheduler.review_card`` reviews
it, and the result is written back field by field; nothing here computes an interval.
The scheduler is built from ``Settings.study`` (desired retention, maximum interval,
fuzz) with the package's default parameters and learning steps (1 and 10 minutes;
relearning 10 minutes: "again" brings a card back the same day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler, State

from lectern.config import get_settings
from lectern.core.cache import cached_client
from lectern.study.models import CardState, ReviewRating

RATINGS = {
    ReviewRating.again: Rating.Again,
    ReviewRating.hard: Rating.Hard,
    ReviewRating.good: Rating.Good,
    ReviewRating.easy: Rating.Easy,
}
_STATES = {
    State.Learning: CardState.learning,
    State.Review: CardState.review,
    State.Relearning: CardState.relearning,
}
_FSRS_STATES = {v: k for k, v in _STATES.items()}


@cached_client
def scheduler() -> Scheduler:
    study = get_settings().study
    return Scheduler(
        desired_retention=study.desired_retention,
        maximum_interval=study.maximum_interval_days,
        enable_fuzzing=study.fuzz,
    )


@dataclass(frozen=True)
class Schedule:
    """A flashcard's FSRS state as stored (``state`` new until its first review)."""

    state: CardState
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_reviewed_at: datetime | None


def new_card(now: datetime) -> Schedule:
    """A card never reviewed: due at once, in the package's first learning step."""
    card = Card(card_id=0, due=now.astimezone(UTC))
    return Schedule(CardState.new, card.step, None, None, card.due, None)


def to_card(schedule: Schedule) -> Card:
    state = State.Learning if schedule.state == CardState.new else _FSRS_STATES[schedule.state]
    return Card(
        # The package's id is only echoed into its review logs; ours are UUIDs.
        card_id=0,
        state=state,
        step=schedule.step,
        stability=schedule.stability,
        difficulty=schedule.difficulty,
        due=schedule.due.astimezone(UTC),
        last_review=schedule.last_reviewed_at.astimezone(UTC)
        if schedule.last_reviewed_at
        else None,
    )


def review(schedule: Schedule, rating: ReviewRating, at: datetime) -> Schedule:
    """The schedule after a review at ``at``, as the package's scheduler makes it."""
    card, _log = scheduler().review_card(to_card(schedule), RATINGS[rating], at.astimezone(UTC))
    # A reviewed card always has both; 0.0 only satisfies the type checker.
    return Schedule(
        _STATES[card.state],
        card.step,
        card.stability or 0.0,
        card.difficulty or 0.0,
        card.due,
        card.last_review,
    )


def retrievability(schedule: Schedule, now: datetime) -> float | None:
    """The chance of recall now (FSRS's R), the card's progress; None before a review."""
    if schedule.last_reviewed_at is None:
        return None
    return float(scheduler().get_card_retrievability(to_card(schedule), now.astimezone(UTC)))

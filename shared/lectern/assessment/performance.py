"""A learner's performance, read from the counters answers keep (never recomputed)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.assessment.models import LearnerStats, LearnerTopicStats
from lectern.assessment.schemas import PerformanceOut, TopicPerformanceOut
from lectern.core.principal import Principal

# A topic is weak once it has enough answers to judge and too few of them are right.
WEAK_MIN_ANSWERED = 3
WEAK_BELOW_ACCURACY = 0.6


def _accuracy(answered: int, correct: int) -> float:
    return correct / answered if answered else 0.0


def performance(db: Session, principal: Principal) -> PerformanceOut:
    totals = db.get(LearnerStats, principal.user_id)
    answered, correct = (totals.answered, totals.correct) if totals else (0, 0)
    by_topic = [
        TopicPerformanceOut(
            topic=row.topic,
            answered=row.answered,
            correct=row.correct,
            accuracy=_accuracy(row.answered, row.correct),
        )
        for row in db.scalars(
            select(LearnerTopicStats)
            .where(LearnerTopicStats.user_id == principal.user_id)
            .order_by(LearnerTopicStats.topic)
        )
    ]
    weak = sorted(
        (
            t
            for t in by_topic
            if t.answered >= WEAK_MIN_ANSWERED and t.accuracy < WEAK_BELOW_ACCURACY
        ),
        key=lambda t: (t.accuracy, -t.answered, t.topic),
    )
    return PerformanceOut(
        answered=answered,
        correct=correct,
        accuracy=_accuracy(answered, correct),
        by_topic=by_topic,
        weak_topics=[t.topic for t in weak],
    )

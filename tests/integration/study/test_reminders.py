"""The daily study reminder: once a day, to learners with reviewed cards due, through the
notifications context (so their preferences decide inbox and mail)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lectern.core.upkeep import Run, latest_hour
from lectern.notifications.models import Notification
from lectern.study import items
from lectern.study.models import CardState, StudyItem
from lectern.study.schemas import ItemIn
from lectern.study.upkeep import reminders_task
from tests.factories import Account, make_account

NOW = datetime(2031, 4, 8, 9, 30, tzinfo=UTC)  # after the 06:00 reminder hour


@pytest.fixture
def db(rolled_back_db: Session) -> Session:
    return rolled_back_db


def _card(db: Session, learner: Account, *, due: datetime | None) -> None:
    """A flashcard; with ``due``, one already reviewed and due then (else still new)."""
    card = items.create_item(db, learner.principal, ItemIn(type="flashcard", front="Q", back="A"))  # type: ignore[arg-type]
    if due is not None:
        db.execute(
            update(StudyItem)
            .where(StudyItem.id == card.id)
            .values(state=CardState.review, due=due, reps=1)
        )
        db.flush()


def _reminded(db: Session, *learners: Account) -> list[str]:
    ids = [a.id for a in learners]
    rows = db.scalars(
        select(Notification.user_id).where(
            Notification.type == "study_due", Notification.user_id.in_(ids)
        )
    )
    return sorted(str(u) for u in rows)


def test_learners_with_due_reviews_are_reminded_once_a_day(db: Session):
    due, future, fresh, erased = (make_account(db) for _ in range(4))
    _card(db, due, due=NOW - timedelta(days=2))
    _card(db, future, due=NOW + timedelta(days=3))
    _card(db, fresh, due=None)  # new cards alone remind nobody
    _card(db, erased, due=NOW - timedelta(days=1))
    from lectern.identity.models import User

    db.execute(update(User).where(User.id == erased.id).values(deleted_at=NOW))

    watermark, details = reminders_task(db, Run(now=NOW, watermark=None))
    assert watermark == latest_hour(NOW, 6) == NOW.replace(hour=6, minute=0)
    assert details["reminded"] >= 1
    assert _reminded(db, due, future, fresh, erased) == [str(due.id)]
    [note] = db.scalars(
        select(Notification).where(Notification.user_id == due.id, Notification.type == "study_due")
    )
    assert (note.title, note.link) == ("Cards are due for review", "/study")

    # Later the same day the watermark is reached: nothing more.
    again = reminders_task(db, Run(now=NOW + timedelta(hours=5), watermark=watermark))
    assert again[0] == watermark and again[1]["reminded"] == 0
    assert _reminded(db, due) == [str(due.id)]

    # The next day's run reminds again.
    reminders_task(db, Run(now=NOW + timedelta(days=1), watermark=watermark))
    assert _reminded(db, due) == [str(due.id)] * 2


def test_before_the_hour_the_day_before_counts():
    early = NOW.replace(hour=3)
    assert latest_hour(early, 6) == (early - timedelta(days=1)).replace(hour=6, minute=0)

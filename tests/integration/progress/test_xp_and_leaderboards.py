"""XP ledger, levels, streaks and the Upstash leaderboards, against the real services."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_account, new_account


def _award(db, user_id, amount=10, source=None, now=None):
    from lectern.progress.xp import award_xp

    award = award_xp(
        db, user_id, reason="test", source_id=source or uuid.uuid4(), amount=amount, now=now
    )
    db.commit()
    return award


@pytest.mark.parametrize(
    ("xp", "level"), [(0, 1), (99, 1), (100, 2), (399, 2), (400, 3), (900, 4), (10_000, 11)]
)
def test_level_for(xp, level):
    from lectern.progress.xp import level_for

    assert level_for(xp) == level


def test_award_is_paid_once_per_source_and_sql_level_matches_python(db):
    from lectern.identity.models import Profile
    from lectern.progress.xp import level_for

    account = make_account(db)
    source = uuid.uuid4()
    first = _award(db, account.id, amount=450, source=source)
    again = _award(db, account.id, amount=450, source=source)
    assert first is not None and again is None
    profile = db.get(Profile, account.id, populate_existing=True)
    assert profile.xp == 450
    assert profile.level == level_for(450) == 3
    assert first.level == profile.level


def test_streak_extends_on_consecutive_days_and_restarts_after_a_gap(db):
    from lectern.progress.xp import current_streak

    account = make_account(db)
    day = datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert _award(db, account.id, now=day).streak_days == 1
    assert _award(db, account.id, now=day + timedelta(hours=3)).streak_days == 1
    assert _award(db, account.id, now=day + timedelta(days=1)).streak_days == 2
    assert _award(db, account.id, now=day + timedelta(days=2)).streak_days == 3
    assert _award(db, account.id, now=day + timedelta(days=4)).streak_days == 1
    assert current_streak(3, date(2026, 3, 4), date(2026, 3, 5)) == 3
    assert current_streak(3, date(2026, 3, 3), date(2026, 3, 5)) == 0


def test_weekly_xp_rolls_over_on_monday(db):
    account = make_account(db)
    sunday = datetime(2026, 3, 8, 23, tzinfo=UTC)
    assert _award(db, account.id, amount=30, now=sunday).weekly_xp == 30
    monday = _award(db, account.id, amount=5, now=sunday + timedelta(hours=2))
    assert monday.weekly_xp == 5 and monday.xp == 35 and monday.week == date(2026, 3, 9)


def test_concurrent_awards_lose_nothing(stack):
    from lectern.db.engine import get_sessionmaker
    from lectern.identity.models import Profile
    from lectern.progress.models import XpAward

    account = new_account()

    def award_one(_: int) -> None:
        with get_sessionmaker()() as db:
            _award(db, account.id, amount=3)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(award_one, range(40)))
    with get_sessionmaker()() as db:
        profile = db.get(Profile, account.id)
        ledger = db.scalar(select(func.sum(XpAward.amount)).where(XpAward.user_id == account.id))
    assert profile.xp == ledger == 120
    assert profile.weekly_xp == 120


def test_leaderboard_ranks_and_own_standing(stack):
    from lectern.db.engine import get_sessionmaker
    from lectern.progress import leaderboards
    from lectern.progress.leaderboards import Period

    accounts = [new_account() for _ in range(3)]
    with get_sessionmaker()() as db:
        awards = [
            _award(db, a.id, amount=amount)
            for a, amount in zip(accounts, (1_000_000, 1_000_050, 999_990), strict=True)
        ]
    leaderboards.publish(awards)
    # A stale, lower copy arriving late does not lower the score (ZADD GT).
    from lectern.progress.xp import Award

    stale = awards[0]
    leaderboards.publish([Award(**{**stale.__dict__, "xp": 5, "weekly_xp": 5})])

    for period in Period:
        mine = leaderboards.standing(period, accounts[0].id, limit=2)
        assert [user for user, _ in mine.top] == [accounts[1].id, accounts[0].id]
        assert mine.rank == 2 and mine.xp == 1_000_000
    outsider = leaderboards.standing(Period.all_time, uuid.uuid4(), limit=1)
    assert outsider.rank is None and outsider.xp == 0

    leaderboards.forget(accounts[1].id)
    assert leaderboards.standing(Period.weekly, accounts[0].id, limit=1).rank == 1


def test_publish_survives_a_kv_outage(settings_env, stack):
    from lectern.progress import leaderboards
    from lectern.progress.xp import Award
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_KV_URL", "http://127.0.0.1:9")
    reset_clients()
    leaderboards.publish(
        [Award(uuid.uuid4(), 1, 1, 1, 1, date(2026, 3, 9), 1)]
    )  # no exception: the refresh repairs the boards

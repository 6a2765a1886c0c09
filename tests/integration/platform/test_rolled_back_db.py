"""The opt-in rolled-back session: services commit inside it, nothing outlives it."""

from __future__ import annotations

from sqlalchemy import select

from lectern.db.engine import get_sessionmaker
from tests.factories import make_account
from tests.integration.conftest import rolled_back_session


def test_commits_inside_are_seen_inside_and_gone_after():
    from lectern.identity.models import User

    with rolled_back_session() as session:
        account = make_account(session)
        session.commit()  # a service's commit ends a savepoint, not the test's transaction
        assert session.scalar(select(User.id).where(User.id == account.id)) == account.id
        with get_sessionmaker()() as other:
            # Never committed for real: another connection does not see it.
            assert other.get(User, account.id) is None
    with get_sessionmaker()() as after:
        assert after.get(User, account.id) is None


def test_a_service_rollback_keeps_what_came_before(rolled_back_db):
    from lectern.identity.models import User

    kept = make_account(rolled_back_db)
    rolled_back_db.commit()
    make_account(rolled_back_db)
    rolled_back_db.rollback()
    assert rolled_back_db.get(User, kept.id) is not None

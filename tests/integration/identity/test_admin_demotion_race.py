"""Two admins demoting each other at once must leave one admin (finding: they left none).

Run in a database of its own: the shared test database holds admins from other tests,
so "the last admin" is only meaningful where these two are the only ones."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from lectern.db.migrations import upgrade
from local.stack import LocalStack


@pytest.fixture(scope="module")
def lonely_db(stack: LocalStack) -> Iterator[sessionmaker]:
    url = make_url(stack.env["LECTERN_DATABASE_URL"])
    admin = create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS lectern_admins"))
        conn.execute(text("CREATE DATABASE lectern_admins"))
    scratch = url.set(database="lectern_admins").render_as_string(hide_password=False)
    upgrade(scratch)
    engine = create_engine(scratch, poolclass=NullPool)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS lectern_admins WITH (FORCE)"))
    admin.dispose()


def test_two_admins_demoting_each_other_leave_one(lonely_db: sessionmaker):
    from lectern.core.principal import UserRole
    from lectern.errors import Conflict
    from lectern.identity.models import Profile
    from lectern.identity.service import create_account, set_role
    from tests.conftest import unique_email

    for _round in range(5):
        with lonely_db() as db:
            db.execute(text("UPDATE profiles SET role = 'student'"))
            ids = [
                create_account(
                    db, email=unique_email("admin"), name="A", password=None, role=UserRole.admin
                ).id
                for _ in range(2)
            ]
            db.commit()
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def demote(user_id, barrier=barrier, outcomes=outcomes) -> None:  # type: ignore[no-untyped-def]
            with lonely_db() as db:
                barrier.wait()
                try:
                    set_role(db, user_id, UserRole.student)
                    outcomes.append("demoted")
                except Conflict:
                    outcomes.append("refused")

        threads = [threading.Thread(target=demote, args=(i,)) for i in reversed(ids)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["demoted", "refused"]
        with lonely_db() as db:
            admins = db.scalar(
                select(func.count()).select_from(Profile).where(Profile.role == UserRole.admin)
            )
        assert admins == 1

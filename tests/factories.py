"""Test builders: accounts of any role (as a principal or a bearer token), courses made
straight through the ORM, and a counter of the SQL statements a block sends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.conftest import unique_email


@dataclass(frozen=True)
class Account:
    """A committed user, with a live session: ``principal`` for services, ``token`` for HTTP."""

    user: object  # lectern.identity.models.User (imported lazily, after the env is set)
    principal: object  # lectern.core.principal.Principal
    token: str

    @property
    def id(self):  # type: ignore[no-untyped-def]
        return self.user.id  # type: ignore[attr-defined]


def make_account(
    db: Session, role: str = "student", name: str | None = None, *, verified: bool = True
) -> Account:
    """A committed account; its address counts as verified unless ``verified=False``."""
    from lectern.core.principal import UserRole
    from lectern.identity.service import create_account
    from lectern.identity.sessions import create_session, resolve_session

    user_role = UserRole(role)
    user = create_account(
        db,
        email=unique_email(role),
        name=name or role.title(),
        password=None,
        role=user_role,
    )
    if verified:
        user.email_verified_at = datetime.now(UTC)
    db.commit()
    issued = create_session(user.id, user_role)
    principal = resolve_session(issued.token)
    assert principal is not None
    return Account(user=user, principal=principal, token=issued.token)


def new_account(
    role: str = "student", name: str | None = None, *, verified: bool = True
) -> Account:
    """Like ``make_account``, with its own short-lived database session (e2e tests)."""
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        return make_account(db, role, name, verified=verified)


def make_course(
    db: Session,
    owner: Account,
    *,
    lessons: int = 3,
    published: bool = True,
    title: str | None = None,
) -> tuple[Any, list[Any]]:
    """A course with one module of ``lessons`` lessons, straight through the ORM."""
    from lectern.catalog.models import Course, Lesson, Module

    course = Course(
        owner_id=owner.id,
        title=title or f"Course {uuid.uuid4().hex[:6]}",
        published_at=datetime.now(UTC) if published else None,
    )
    db.add(course)
    db.flush()
    module = Module(course_id=course.id, title="Module", position=0)
    db.add(module)
    db.flush()
    rows = [
        Lesson(module_id=module.id, course_id=course.id, title=f"L{i}", content="# md", position=i)
        for i in range(lessons)
    ]
    db.add_all(rows)
    db.commit()
    return course, rows


def new_course(owner: Account, **kwargs: Any) -> tuple[Any, list[Any]]:
    """Like ``make_course``, with its own short-lived database session (e2e tests)."""
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        return make_course(db, owner, **kwargs)


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements the app's engine sends inside the block (N+1 checks)."""
    from lectern.db.engine import get_engine

    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def clear_of_window_edge(window_seconds: int, margin_seconds: float = 2.0) -> None:
    """Wait, if need be, until a fixed window of ``window_seconds`` has at least
    ``margin_seconds`` to run. upstash-ratelimit's sliding window counts the previous
    window's requests at a weight rounded down, so a burst that straddles an edge gets
    one more request through than its limit: tests of an exact limit start clear of one."""
    import time

    left = window_seconds - time.time() % window_seconds
    if left < margin_seconds:
        time.sleep(left + 0.05)

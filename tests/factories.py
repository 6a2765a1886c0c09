"""Accounts for tests: a user of any role, as a service principal or a bearer token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tests.conftest import unique_email


@dataclass(frozen=True)
class Account:
    """A committed user, with a live session: ``principal`` for services, ``token`` for HTTP."""

    user: object  # lectern.db.models.identity.User (imported lazily, after the env is set)
    principal: object  # lectern.identity.sessions.Principal
    token: str

    @property
    def id(self):  # type: ignore[no-untyped-def]
        return self.user.id  # type: ignore[attr-defined]


def make_account(db: Session, role: str = "student", name: str | None = None) -> Account:
    from lectern.db.models.identity import UserRole
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
    db.commit()
    issued = create_session(user.id, user_role)
    principal = resolve_session(issued.token)
    assert principal is not None
    return Account(user=user, principal=principal, token=issued.token)


def new_account(role: str = "student", name: str | None = None) -> Account:
    """Like ``make_account``, with its own short-lived database session (e2e tests)."""
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as db:
        return make_account(db, role, name)

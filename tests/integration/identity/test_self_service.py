"""Password changes and resets, and session lists, against real Postgres and Upstash."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session

from lectern.db.engine import get_sessionmaker
from lectern.errors import InvalidField, NotFound, Unauthorized
from lectern.identity import password_reset, self_service, service, sessions
from lectern.identity.models import Credential, User
from lectern.identity.schemas import (
    LoginIn,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    RegisterIn,
)
from lectern.identity.tokens import hash_token
from lectern.kv.factory import get_kv
from lectern.kv.port import key
from local.stack import LocalStack
from tests.conftest import unique_email

OLD = "the old password 1"
NEW = "the new password 2"


@pytest.fixture
def db(rolled_back_db):
    return rolled_back_db


def _register(db: Session, email: str | None = None):
    email = email or unique_email()
    return email, service.register(db, RegisterIn(email=email, password=OLD, name="Reset"))


def _principal(token: str):
    principal = sessions.resolve_session(token)
    assert principal is not None
    return principal


def _login(db: Session, email: str, password: str) -> bool:
    try:
        service.login(db, LoginIn(email=email, password=password), None)
    except Unauthorized:
        return False
    return True


def test_change_password_needs_the_current_one_and_ends_every_other_session(db: Session):
    email, first = _register(db)
    other = service.login(db, LoginIn(email=email, password=OLD), None).session.token
    me = _principal(first.session.token)
    hash_before = db.get(Credential, first.user.id).password_hash  # type: ignore[union-attr]

    with pytest.raises(InvalidField) as missing:
        self_service.change_password(db, me, PasswordChangeIn(new_password=NEW), None)
    assert missing.value.field == "current_password"
    with pytest.raises(Unauthorized):
        self_service.change_password(
            db, me, PasswordChangeIn(current_password="not it at all", new_password=NEW), None
        )
    db.expire_all()
    assert db.get(Credential, first.user.id).password_hash == hash_before  # type: ignore[union-attr]
    assert sessions.resolve_session(other) is not None  # a refusal ends nothing

    self_service.change_password(
        db, me, PasswordChangeIn(current_password=OLD, new_password=NEW), None
    )
    assert sessions.resolve_session(first.session.token) is not None  # the caller's stays
    assert sessions.resolve_session(other) is None
    assert not _login(db, email, OLD)
    assert _login(db, email, NEW)


def test_a_magic_link_account_adds_a_password_without_a_current_one(db: Session):
    from lectern.identity import magic_links

    email = unique_email()
    signed_in = service.verify_magic_link(db, magic_links.issue_magic_token(email))
    assert db.get(Credential, signed_in.user.id) is None
    self_service.change_password(
        db, _principal(signed_in.session.token), PasswordChangeIn(new_password=NEW), None
    )
    assert _login(db, email, NEW)


def test_reset_tokens_are_hashed_at_rest_short_lived_and_single_use(db: Session):
    email, registered = _register(db)
    before = registered.session.token
    token = password_reset.issue_reset_token(registered.user.id, email)
    stored = key("reset", hash_token(token))
    assert 0 < get_kv().ttl(stored) <= 15 * 60
    assert get_kv().get(key("reset", token)) is None  # only the hash names it

    result = self_service.confirm_password_reset(
        db, PasswordResetConfirmIn(token=token, new_password=NEW)
    )
    assert result.user.id == registered.user.id
    assert sessions.resolve_session(before) is None  # sessions from before the reset die
    assert sessions.resolve_session(result.session.token) is not None
    assert not _login(db, email, OLD) and _login(db, email, NEW)
    with pytest.raises(Unauthorized):
        self_service.confirm_password_reset(
            db, PasswordResetConfirmIn(token=token, new_password="a third password")
        )
    assert _login(db, email, NEW)


def test_an_expired_reset_token_is_refused(db: Session):
    email, registered = _register(db)
    token = password_reset.issue_reset_token(registered.user.id, email)
    get_kv().pexpire(key("reset", hash_token(token)), 50)
    time.sleep(0.2)
    with pytest.raises(Unauthorized):
        self_service.confirm_password_reset(
            db, PasswordResetConfirmIn(token=token, new_password=NEW)
        )
    assert _login(db, email, OLD)


def test_a_reset_link_for_an_address_the_account_no_longer_has_is_refused(db: Session):
    email, registered = _register(db)
    token = password_reset.issue_reset_token(registered.user.id, email)
    user = db.get(User, registered.user.id)
    assert user is not None
    user.email = unique_email("moved")
    db.commit()
    with pytest.raises(Unauthorized):
        self_service.confirm_password_reset(
            db, PasswordResetConfirmIn(token=token, new_password=NEW)
        )


def test_twenty_concurrent_confirms_of_one_token_give_one_success(stack: LocalStack):
    email = unique_email()
    with get_sessionmaker()() as setup:
        registered = service.register(setup, RegisterIn(email=email, password=OLD, name="Race"))
    token = password_reset.issue_reset_token(registered.user.id, email)
    barrier = threading.Barrier(20)

    def confirm(n: int) -> str | None:
        barrier.wait()
        with get_sessionmaker()() as session:
            try:
                body = PasswordResetConfirmIn(token=token, new_password=f"racer password {n:02}")
                return self_service.confirm_password_reset(session, body).session.token
            except Unauthorized:
                return None

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(confirm, range(20)))
    winners = [(n, r) for n, r in enumerate(results) if r]
    assert len(winners) == 1
    winner, winning_token = winners[0]
    assert sessions.resolve_session(registered.session.token) is None
    live = [s.token_hash for s in sessions.live_sessions(registered.user.id)]
    assert live == [hash_token(winning_token)]
    with get_sessionmaker()() as check:
        assert _login(check, email, f"racer password {winner:02}")
        assert not _login(check, email, OLD)


def test_sessions_are_listed_by_an_id_that_is_not_the_token_and_end_one_by_one(db: Session):
    email, first = _register(db)
    second = service.login(db, LoginIn(email=email, password=OLD), None).session.token
    third = service.login(db, LoginIn(email=email, password=OLD), None).session.token
    me = _principal(first.session.token)
    listed = self_service.list_sessions(me).items
    assert len(listed) == 3
    assert [s.current for s in listed].count(True) == 1
    for s in listed:
        assert s.id not in {first.session.token, second, third}
        assert s.id not in {hash_token(t) for t in (first.session.token, second, third)}
        assert s.created_at < s.expires_at

    victim = next(s for s in listed if not s.current)
    self_service.end_session(me, victim.id)
    alive = [t for t in (second, third) if sessions.resolve_session(t) is not None]
    assert len(alive) == 1
    with pytest.raises(NotFound):
        self_service.end_session(me, victim.id)

    # Someone else's session id is no one's to end but theirs.
    _email, stranger = _register(db)
    theirs = self_service.list_sessions(_principal(stranger.session.token)).items[0]
    with pytest.raises(NotFound):
        self_service.end_session(me, theirs.id)
    assert sessions.resolve_session(stranger.session.token) is not None

    self_service.end_other_sessions(me)
    assert sessions.resolve_session(alive[0]) is None
    assert sessions.resolve_session(first.session.token) is not None
    assert [s.current for s in self_service.list_sessions(me).items] == [True]

"""Account rules against the real Postgres and the real Upstash client over redis-server."""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.core.principal import Principal, UserRole
from lectern.db.engine import get_sessionmaker
from lectern.errors import Conflict, NotFound, RateLimited, Unauthorized
from lectern.identity import magic_links, service, sessions
from lectern.identity.models import Credential, Profile, User
from lectern.identity.schemas import LoginIn, MeUpdateIn, RegisterIn
from lectern.identity.tokens import hash_token
from lectern.kv.factory import get_kv
from lectern.kv.port import key
from local.stack import LocalStack
from tests.conftest import reset_clients, unique_email

PASSWORD = "a long enough password"


@pytest.fixture
def db(rolled_back_db):
    """Nothing here needs another connection to see its writes: each test is rolled back."""
    return rolled_back_db


def _register(db: Session, email: str | None = None, name: str = "Learner"):
    return service.register(
        db, RegisterIn(email=email or unique_email(), password=PASSWORD, name=name)
    )


def _principal(token: str) -> Principal:
    principal = sessions.resolve_session(token)
    assert principal is not None
    return principal


def test_register_keeps_user_profile_and_password_apart(db: Session):
    result = _register(db, name="Grace")
    user = db.get(User, result.user.id)
    assert user is not None and user.profile.display_name == "Grace"
    assert user.profile.role == UserRole.student
    credential = db.get(Credential, user.id)
    assert credential is not None and credential.password_hash.startswith("$argon2id$")
    assert PASSWORD not in credential.password_hash


def test_duplicate_email_is_a_conflict_whatever_its_case(db: Session):
    email = unique_email()
    _register(db, email)
    with pytest.raises(Conflict):
        _register(db, email.upper())
    assert db.scalar(select(User).where(User.email == email)) is not None


def test_concurrent_registrations_of_one_email_create_one_account(stack: LocalStack):
    email = unique_email()

    def attempt(_: int) -> str:
        with get_sessionmaker()() as session:
            try:
                _register(session, email)
            except Conflict:
                return "conflict"
            return "created"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count("created") == 1
    assert outcomes.count("conflict") == 7


def test_login_succeeds_and_failures_look_the_same_for_known_and_unknown(db: Session):
    email = unique_email()
    _register(db, email)
    assert (
        service.login(db, LoginIn(email=email, password=PASSWORD), "198.51.100.1").user.email
        == email
    )
    with pytest.raises(Unauthorized) as wrong_password:
        service.login(db, LoginIn(email=email, password="not the password"), "198.51.100.1")
    with pytest.raises(Unauthorized) as unknown:
        service.login(db, LoginIn(email=unique_email(), password=PASSWORD), "198.51.100.1")
    assert wrong_password.value.detail == unknown.value.detail


def test_login_is_throttled_per_account(db: Session):
    email = unique_email()
    _register(db, email)
    for _ in range(10):
        with pytest.raises(Unauthorized):
            service.login(db, LoginIn(email=email, password="wrong password"), None)
    with pytest.raises(RateLimited) as exc:
        service.login(db, LoginIn(email=email, password=PASSWORD), None)
    assert 1 <= exc.value.retry_after_seconds <= 900


def test_login_is_throttled_per_address_across_accounts(db: Session, settings_env):
    settings_env.setenv("LECTERN_LOGIN_ATTEMPTS_PER_IP", "3")
    reset_clients()
    ip = f"192.0.2.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        with pytest.raises(Unauthorized):
            service.login(db, LoginIn(email=unique_email(), password="whatever pw"), ip)
    with pytest.raises(RateLimited):
        service.login(db, LoginIn(email=unique_email(), password="whatever pw"), ip)


def test_session_tokens_are_stored_only_as_hashes_with_a_ttl(db: Session):
    token = _register(db).session.token
    kv = get_kv()
    stored = kv.get(key("session", hash_token(token)))
    assert stored is not None and token not in stored
    assert kv.get(key("session", token)) is None
    ttl = kv.ttl(key("session", hash_token(token)))
    assert 0 < ttl <= 168 * 3600


def test_logout_kills_the_token_at_once(db: Session):
    token = _register(db).session.token
    other = _register(db).session.token
    service.logout(_principal(token))
    assert sessions.resolve_session(token) is None
    assert sessions.resolve_session(other) is not None


def test_magic_link_is_single_use_and_short_lived(db: Session):
    email = unique_email()
    token = magic_links.issue_magic_token(email)
    ttl = get_kv().ttl(key("magic", hash_token(token)))
    assert 0 < ttl <= 10 * 60
    first = service.verify_magic_link(db, token)
    assert first.user.email == email
    with pytest.raises(Unauthorized):
        service.verify_magic_link(db, token)


def test_magic_link_signs_in_an_existing_account_without_a_new_one(db: Session):
    email = unique_email()
    registered = _register(db, email)
    verified = service.verify_magic_link(db, magic_links.issue_magic_token(email))
    assert verified.user.id == registered.user.id


def test_fifty_concurrent_verifications_of_one_token_yield_one_session(stack: LocalStack):
    email = unique_email()
    token = magic_links.issue_magic_token(email)
    barrier = threading.Barrier(50)

    def verify(_: int) -> str | None:
        barrier.wait()
        with get_sessionmaker()() as session:
            try:
                return service.verify_magic_link(session, token).session.token
            except Unauthorized:
                return None

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(verify, range(50)))
    winners = [r for r in results if r]
    assert len(winners) == 1
    with get_sessionmaker()() as session:
        assert len(session.scalars(select(User).where(User.email == email)).all()) == 1


def test_update_me_changes_only_name_and_preferences(db: Session):
    result = _register(db)
    principal = _principal(result.session.token)
    me = service.update_me(
        db, principal, MeUpdateIn(name="New Name", preferences={"theme": "dark"})
    )
    assert (me.name, me.preferences, me.role) == ("New Name", {"theme": "dark"}, UserRole.student)
    me = service.update_me(db, principal, MeUpdateIn(preferences={"lang": "fr"}))
    assert me.name == "New Name" and me.preferences == {"lang": "fr"}


def test_export_holds_everything_about_the_caller(db: Session):
    email = unique_email()
    result = _register(db, email, name="Exported")
    service.update_me(db, _principal(result.session.token), MeUpdateIn(preferences={"a": 1}))
    export = service.export_me(db, _principal(result.session.token))
    json.dumps(export)  # plain JSON
    assert export["user"]["email"] == email
    assert export["profile"]["name"] == "Exported"
    assert export["profile"]["preferences"] == {"a": 1}
    assert export["credentials"] == {"password_set": True}
    assert len(export["sessions"]) == 1
    assert PASSWORD not in json.dumps(export)


def test_delete_me_erases_personal_data_and_revokes_every_session(db: Session):
    email = unique_email()
    first = _register(db, email, name="Forget Me")
    second = service.login(db, LoginIn(email=email, password=PASSWORD), None)
    service.delete_me(db, _principal(first.session.token))

    assert sessions.resolve_session(first.session.token) is None
    assert sessions.resolve_session(second.session.token) is None
    db.expire_all()
    user = db.get(User, first.user.id)
    assert user is not None and user.deleted_at is not None
    assert email not in user.email and user.profile.display_name != "Forget Me"
    assert db.get(Credential, user.id) is None
    with pytest.raises(Unauthorized):
        service.login(db, LoginIn(email=email, password=PASSWORD), None)
    # The address is free again: a new account can be made with it.
    assert _register(db, email).user.id != first.user.id


def test_role_change_reaches_live_sessions(db: Session):
    result = _register(db)
    service.set_role(db, result.user.id, UserRole.instructor)
    assert _principal(result.session.token).role == UserRole.instructor
    assert db.get(Profile, result.user.id).role == UserRole.instructor


def test_role_change_of_unknown_user_is_not_found(db: Session):
    with pytest.raises(NotFound):
        service.set_role(db, uuid.uuid4(), UserRole.admin)


def test_the_last_admin_cannot_be_demoted(db: Session):
    others = db.scalars(
        select(Profile).join(User).where(Profile.role == UserRole.admin, User.deleted_at.is_(None))
    ).all()
    for profile in others:  # leave exactly one admin in the shared database for a moment
        profile.role = UserRole.instructor
    db.commit()
    try:
        only = _register(db)
        service.set_role(db, only.user.id, UserRole.admin)
        with pytest.raises(Conflict):
            service.set_role(db, only.user.id, UserRole.student)
        second = _register(db)
        service.set_role(db, second.user.id, UserRole.admin)
        assert service.set_role(db, only.user.id, UserRole.student).role == UserRole.student
    finally:
        for profile in others:
            profile.role = UserRole.admin
        db.commit()


def test_a_users_session_index_drops_expired_sessions(db: Session):
    email = unique_email()
    first = _register(db, email)
    index = key("user-sessions", str(first.user.id))
    get_kv().zadd(index, {"stale-session-hash": 1})  # expired in 1970
    service.login(db, LoginIn(email=email, password=PASSWORD), None)
    members = get_kv().zrange(index, 0, -1)
    assert "stale-session-hash" not in members
    assert hash_token(first.session.token) in members
    assert len(members) == 2

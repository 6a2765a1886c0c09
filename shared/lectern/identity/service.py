"""Account use cases. Plain arguments and a database session in, schemas out; no HTTP here.

Where a change spans Postgres and Upstash, the database work is flushed first (so a
conflict fails before anything reaches the KV store), then the KV write, then the
commit: if the KV store is down nothing is committed.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lectern.audit.service import record as audit
from lectern.config import get_settings
from lectern.core.principal import Principal, UserRole
from lectern.errors import Conflict, DependencyUnavailable, NotFound, RateLimited, Unauthorized
from lectern.identity import email_verification, magic_links, passwords, sessions, throttle
from lectern.identity.models import DELETED_USER_NAME, Credential, Profile, User
from lectern.identity.schemas import (
    AuthOut,
    EmailVerifiedOut,
    LoginIn,
    MeOut,
    MeUpdateIn,
    RegisterIn,
    SessionOut,
    UserOut,
)
from lectern.mail.factory import get_mailer
from lectern.observability import get_logger
from lectern.privacy import erase_learning, export_learning
from lectern.progress import leaderboards
from lectern.storage.factory import get_storage

INVALID_CREDENTIALS = "Invalid email or password."
EMAIL_TAKEN = "An account with this email already exists."


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id, email=user.email, name=user.profile.display_name, role=user.profile.role
    )


def _auth_out(user: User, issued: sessions.IssuedSession) -> AuthOut:
    return AuthOut(
        user=user_out(user),
        session=SessionOut(token=issued.token, expires_at=issued.expires_at),
    )


def _active_user_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == email, User.deleted_at.is_(None)))


def create_account(
    db: Session, *, email: str, name: str, password: str | None, role: UserRole
) -> User:
    """Insert a user with profile (and password); Conflict if the email is taken."""
    user = User(email=email)
    user.profile = Profile(display_name=name, role=role, preferences={})
    db.add(user)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise Conflict(EMAIL_TAKEN) from exc
    if password is not None:
        db.add(Credential(user_id=user.id, password_hash=passwords.hash_password(password)))
        db.flush()
    return user


def register(db: Session, data: RegisterIn, ip: str | None = None) -> AuthOut:
    # Throttled per address and platform-wide before any work: a 409 tells that an email
    # has an account, so registering is also how one would enumerate them.
    throttle.check_registration(ip)
    # The unique email is the check: a taken address fails at the flush, before hashing.
    user = create_account(
        db, email=data.email, name=data.name, password=data.password, role=UserRole.student
    )
    issued = sessions.create_session(user.id, user.profile.role)
    db.commit()
    _mail_verification_link(user, best_effort=True)
    return _auth_out(user, issued)


def _mail_verification_link(user: User, *, best_effort: bool = False) -> None:
    """Mail a link that proves the address. After registration it is best effort: the
    account exists either way, and ``POST /v1/auth/email-verification`` sends another."""
    try:
        throttle.check_verification_mail(str(user.id))
        token = email_verification.issue_verification_token(user.id, user.email)
        auth = get_settings().auth
        separator = "&" if "?" in auth.email_verification_url else "?"
        text = (
            "Confirm your address for Lectern with this link:\n\n"
            f"{auth.email_verification_url}{separator}token={token}\n\n"
            f"It works once and expires in {auth.email_verification_ttl_hours} hours. "
            "If you did not sign up, ignore this mail.\n"
        )
        get_mailer().send(user.email, "Confirm your Lectern address", text)
    except (DependencyUnavailable, RateLimited):
        if not best_effort:
            raise
        get_logger().warning("verification mail not sent at registration")


def request_email_verification(db: Session, principal: Principal) -> None:
    user = current_user(db, principal)
    if user.email_verified_at is None:
        _mail_verification_link(user)


def confirm_email_verification(db: Session, token: str) -> EmailVerifiedOut:
    proven = email_verification.consume_verification_token(token)
    user = db.get(User, proven[0]) if proven else None
    # The address must still be the account's: a link proves the address it was sent to.
    if proven is None or user is None or user.deleted_at is not None or user.email != proven[1]:
        raise Unauthorized("This verification link is invalid, expired or already used.")
    user.email_verified_at = user.email_verified_at or datetime.now(UTC)
    db.commit()
    return EmailVerifiedOut(email_verified=True)


def login(db: Session, data: LoginIn, ip: str | None) -> AuthOut:
    had_failures = throttle.check_login(data.email, ip)
    user = _active_user_by_email(db, data.email)
    credential = db.get(Credential, user.id) if user else None
    # Unknown emails cost a full argon2 verification too, so timing says nothing.
    ok = passwords.verify_password(credential.password_hash if credential else None, data.password)
    if not ok or user is None or credential is None:
        throttle.login_failed(data.email, ip)
        raise Unauthorized(INVALID_CREDENTIALS)
    if passwords.needs_rehash(credential.password_hash):
        credential.password_hash = passwords.hash_password(data.password)
    issued = sessions.create_session(user.id, user.profile.role)
    db.commit()
    if had_failures:
        throttle.login_succeeded(data.email, ip)
    return _auth_out(user, issued)


def request_magic_link(email: str, ip: str | None = None) -> None:
    """Mail a sign-in link. Same answer whether or not the account exists."""
    throttle.check_magic_link(email, ip)
    settings = get_settings()
    token = magic_links.issue_magic_token(email)
    # The link opens the frontend, which POSTs the token: a mail scanner that follows
    # links cannot burn it.
    separator = "&" if "?" in settings.auth.magic_link_url else "?"
    link = f"{settings.auth.magic_link_url}{separator}token={token}"
    text = (
        "Sign in to Lectern with this link:\n\n"
        f"{link}\n\n"
        f"It works once and expires in {settings.auth.magic_link_ttl_minutes} minutes. "
        "If you did not ask for it, ignore this mail.\n"
    )
    get_mailer().send(email, "Your Lectern sign-in link", text)


def verify_magic_link(db: Session, token: str) -> AuthOut:
    email = magic_links.consume_magic_token(token)
    if email is None:
        raise Unauthorized("This sign-in link is invalid, expired or already used.")
    user = _active_user_by_email(db, email)
    if user is None:
        try:
            # A neutral name: the address's local part would be shown on leaderboards,
            # certificates and courses.
            user = create_account(
                db, email=email, name=default_name(), password=None, role=UserRole.student
            )
        except Conflict:
            # Another link for the same new email won the race: use that account.
            user = _active_user_by_email(db, email)
            if user is None:
                raise
    # Opening the mailed link proves the address is theirs.
    user.email_verified_at = user.email_verified_at or datetime.now(UTC)
    issued = sessions.create_session(user.id, user.profile.role)
    db.commit()
    return _auth_out(user, issued)


def default_name() -> str:
    """``Learner 7F3A``: neutral, and unlikely to be shared by two learners on one board."""
    return f"Learner {secrets.token_hex(2).upper()}"


def logout(principal: Principal) -> None:
    sessions.revoke_session(principal)


def current_user(db: Session, principal: Principal) -> User:
    user = db.get(User, principal.user_id)
    if user is None or user.deleted_at is not None:
        raise Unauthorized("The session's account no longer exists.")
    return user


def me_out(user: User) -> MeOut:
    p = user.profile
    return MeOut(
        id=user.id,
        email=user.email,
        name=p.display_name,
        role=p.role,
        xp=p.xp,
        level=p.level,
        streak_days=p.streak_days,
        preferences=p.preferences,
        leaderboard_visible=p.leaderboard_visible,
        email_verified=user.email_verified_at is not None,
        created_at=user.created_at,
    )


def get_me(db: Session, principal: Principal) -> MeOut:
    return me_out(current_user(db, principal))


def update_me(db: Session, principal: Principal, data: MeUpdateIn) -> MeOut:
    user = current_user(db, principal)
    if data.name is not None:
        user.profile.display_name = data.name
    if data.preferences is not None:
        user.profile.preferences = data.preferences
    changed_visibility = (
        data.leaderboard_visible is not None
        and data.leaderboard_visible != user.profile.leaderboard_visible
    )
    if data.leaderboard_visible is not None:
        user.profile.leaderboard_visible = data.leaderboard_visible
    db.commit()
    if changed_visibility:
        # After commit, as awards publish; the scheduled refresh repairs a failed call.
        p = user.profile
        if p.leaderboard_visible:
            leaderboards.restore(user.id, p.xp, p.weekly_xp, p.xp_week)
        else:
            leaderboards.forget(user.id)
    return me_out(user)


def export_me(db: Session, principal: Principal) -> dict[str, Any]:
    """Everything held about the caller (GDPR art. 15), as plain JSON."""
    user = current_user(db, principal)
    p = user.profile
    has_password = db.get(Credential, user.id) is not None
    data = {
        "exported_at": datetime.now(UTC).isoformat(),
        "user": {
            "id": str(user.id),
            "email": user.email,
            "created_at": user.created_at.isoformat(),
        },
        "profile": {
            "name": p.display_name,
            "role": p.role.value,
            "xp": p.xp,
            "level": p.level,
            "streak_days": p.streak_days,
            "last_active_on": p.last_active_on.isoformat() if p.last_active_on else None,
            "preferences": p.preferences,
            "updated_at": p.updated_at.isoformat(),
        },
        "credentials": {"password_set": has_password},
        "sessions": sessions.list_sessions(user.id),
        "learning": export_learning(db, user.id),
    }
    audit(db, "identity.exported", actor_id=user.id, target_type="user", target_id=user.id)
    db.commit()
    return data


def delete_me(db: Session, principal: Principal) -> None:
    """Erase what identifies the caller; keep an anonymous row so shared records stay whole."""
    user = current_user(db, principal)
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.deleted_at = datetime.now(UTC)
    user.profile.display_name = DELETED_USER_NAME
    user.profile.preferences = {}
    # The XP and streak were earned by the erased records: they go with them.
    user.profile.xp = user.profile.weekly_xp = user.profile.streak_days = 0
    user.profile.level = 1
    db.execute(delete(Credential).where(Credential.user_id == user.id))
    # Written before the erasure, whose audit hook then clears its address too.
    audit(db, "identity.erased", actor_id=user.id, target_type="user", target_id=user.id)
    object_keys = erase_learning(db, user.id)
    db.flush()
    get_storage().delete_objects(object_keys)
    sessions.revoke_all_sessions(user.id)
    leaderboards.forget(user.id)
    db.commit()


# The advisory lock key that serializes demoting admins (any fixed 64-bit number).
ADMIN_COUNT_LOCK = 7_201_000_002


def set_role(
    db: Session, user_id: uuid.UUID, role: UserRole, actor_id: uuid.UUID | None = None
) -> UserOut:
    user = db.get(User, user_id, with_for_update=True)
    if user is None or user.deleted_at is not None:
        raise NotFound("No such user.")
    if user.profile.role == UserRole.admin and role != UserRole.admin:
        # One demotion of an admin at a time: two admins demoting each other would each
        # count the other still there, and leave none.
        db.execute(select(func.pg_advisory_xact_lock(ADMIN_COUNT_LOCK)))
        admins = db.scalar(
            select(func.count())
            .select_from(Profile)
            .join(User, User.id == Profile.user_id)
            .where(Profile.role == UserRole.admin, User.deleted_at.is_(None))
        )
        if (admins or 0) <= 1:
            raise Conflict("The last admin cannot be demoted.")
    previous = user.profile.role
    user.profile.role = role
    db.flush()
    audit(
        db,
        "identity.role_changed",
        actor_id=actor_id,
        target_type="user",
        target_id=user.id,
        details={"from": previous.value, "to": role.value},
        personal={"email": user.email},
    )
    sessions.change_sessions_role(user.id, role)
    db.commit()
    return user_out(user)

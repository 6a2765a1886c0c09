"""Finding: open sign-up defeated per-user limits, and magic-link mail could be used to
spam. 30 registrations took 0.98 s; 60 magic links to 60 addresses took 0.63 s;
``target+1@…`` … ``target+7@…`` all got mail while ``target@…`` was refused after five.
Each attack below now stops at its limit with a 429 problem and Retry-After, and stores
or sends nothing past it."""

from __future__ import annotations

import uuid

import pytest

from local.stack import LocalStack
from tests.e2e.conftest import invoke

PASSWORD = "abuse test password"


@pytest.fixture
def limits(settings_env):
    """Low limits, and counters of this test's own (a fresh KV prefix)."""
    from tests.conftest import reset_clients

    def set_limits(**values: int) -> None:
        settings_env.setenv("LECTERN_KV_PREFIX", f"lectern-test-{uuid.uuid4().hex[:8]}")
        for name, value in values.items():
            settings_env.setenv(f"LECTERN_{name.upper()}", str(value))
        reset_clients()

    return set_limits


def _address(tag: str = "") -> str:
    return f"target{tag}-{uuid.uuid4().hex[:6]}@example.com"


def _refused(reply) -> None:  # type: ignore[no-untyped-def]
    assert reply.status == 429, reply.body
    assert reply.body["type"] == "urn:lectern:problem:rate-limited"
    assert int(reply.headers["retry-after"]) >= 1


def _accounts(emails: list[str]) -> int:
    from sqlalchemy import func, select

    from lectern.db.engine import get_sessionmaker
    from lectern.identity.models import User

    with get_sessionmaker()() as db:
        return int(db.scalar(select(func.count()).select_from(User).where(User.email.in_(emails))))


def test_registrations_are_limited_per_source_address(limits):
    limits(registrations_per_ip=5)
    emails = [_address() for _ in range(7)]
    replies = [
        invoke(
            "auth",
            "POST",
            "/v1/auth/register",
            source_ip="198.51.100.20",
            body={"email": e, "password": PASSWORD, "name": "Bot"},
        )
        for e in emails
    ]
    assert [r.status for r in replies] == [201] * 5 + [429] * 2
    _refused(replies[5])
    assert _accounts(emails) == 5
    elsewhere = invoke(
        "auth",
        "POST",
        "/v1/auth/register",
        source_ip="203.0.113.30",
        body={"email": _address(), "password": PASSWORD, "name": "Human"},
    )
    assert elsewhere.status == 201


def test_registrations_have_a_platform_ceiling(limits):
    limits(registrations_per_hour=3)
    statuses = [
        invoke(
            "auth",
            "POST",
            "/v1/auth/register",
            source_ip=f"198.51.100.{n}",
            body={"email": _address(), "password": PASSWORD, "name": "Bot"},
        ).status
        for n in range(4)
    ]
    assert statuses == [201, 201, 201, 429]


def test_plus_addressing_does_not_multiply_the_per_address_limit(limits, stack: LocalStack):
    limits(magic_links_per_email=5)
    local = f"target-{uuid.uuid4().hex[:6]}"
    tagged = [f"{local}+{n}@example.com" for n in range(1, 8)]
    statuses = [
        invoke("auth", "POST", "/v1/auth/magic-link", body={"email": e}).status for e in tagged
    ]
    assert statuses == [202] * 5 + [429] * 2
    _refused(invoke("auth", "POST", "/v1/auth/magic-link", body={"email": f"{local}@example.com"}))
    assert sum(len(stack.sent_mail(e)) for e in tagged) == 5


def test_magic_links_are_limited_per_source_address(limits, stack: LocalStack):
    limits(magic_links_per_ip=10)
    emails = [_address() for _ in range(12)]
    statuses = [
        invoke(
            "auth", "POST", "/v1/auth/magic-link", source_ip="198.51.100.40", body={"email": e}
        ).status
        for e in emails
    ]
    assert statuses == [202] * 10 + [429] * 2
    assert [len(stack.sent_mail(e)) for e in emails] == [1] * 10 + [0] * 2


def test_mail_has_a_platform_ceiling(limits, stack: LocalStack):
    limits(mail_per_hour=3)
    emails = [_address() for _ in range(4)]
    statuses = [
        invoke(
            "auth", "POST", "/v1/auth/magic-link", source_ip=f"198.51.100.{n}", body={"email": e}
        ).status
        for n, e in enumerate(emails)
    ]
    assert statuses == [202, 202, 202, 429]
    assert stack.sent_mail(emails[3]) == []


def test_a_registration_mails_a_verification_link_consumed_once(stack: LocalStack):
    email = _address()
    created = invoke(
        "auth",
        "POST",
        "/v1/auth/register",
        body={"email": email, "password": PASSWORD, "name": "Real"},
    )
    assert created.status == 201
    session = created.body["session"]["token"]
    assert invoke("users", "GET", "/v1/me", token=session).body["email_verified"] is False
    [mail] = stack.sent_mail(email)
    assert "http://localhost:3000/auth/verify-email?token=" in mail.text
    token = mail.text.split("token=", 1)[1].split()[0]
    assert invoke("ai", "GET", "/v1/me/ai-usage", token=session).body["limit"] == 5

    confirmed = invoke("auth", "POST", "/v1/auth/email-verification/confirm", body={"token": token})
    assert confirmed.status == 200 and confirmed.body == {"email_verified": True}
    again = invoke("auth", "POST", "/v1/auth/email-verification/confirm", body={"token": token})
    assert again.status == 401 and again.headers["content-type"] == "application/problem+json"
    assert invoke("users", "GET", "/v1/me", token=session).body["email_verified"] is True
    assert invoke("ai", "GET", "/v1/me/ai-usage", token=session).body["limit"] == 50
    # Verified: asking for another link sends none.
    asked = invoke("auth", "POST", "/v1/auth/email-verification", token=session)
    assert asked.status == 202 and len(stack.sent_mail(email)) == 1


def test_verification_links_can_be_asked_for_again_within_a_limit(limits, stack: LocalStack):
    limits(verification_mails_per_user=3)
    email = _address()
    session = invoke(
        "auth",
        "POST",
        "/v1/auth/register",
        body={"email": email, "password": PASSWORD, "name": "Real"},
    ).body["session"]["token"]
    statuses = [
        invoke("auth", "POST", "/v1/auth/email-verification", token=session).status
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]  # the registration's own mail counted first
    assert len(stack.sent_mail(email)) == 3
    assert invoke("auth", "POST", "/v1/auth/email-verification").status == 401

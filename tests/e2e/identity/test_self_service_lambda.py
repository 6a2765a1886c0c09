"""Account self-service through the `auth` and `users` handlers: passwords and sessions."""

from __future__ import annotations

import uuid

import pytest

from local.stack import LocalStack
from tests.conftest import unique_email
from tests.e2e.conftest import invoke

OLD = "self service old 1"
NEW = "self service new 2"


def _register(email: str) -> str:
    reply = invoke(
        "auth", "POST", "/v1/auth/register", body={"email": email, "password": OLD, "name": "S"}
    )
    assert reply.status == 201, reply.body
    return reply.body["session"]["token"]


def _login(email: str, password: str) -> int:
    return invoke(
        "auth", "POST", "/v1/auth/login", body={"email": email, "password": password}
    ).status


def _reset_token(stack: LocalStack, email: str) -> str:
    mails = [m for m in stack.sent_mail(email) if "password" in m.subject.lower()]
    assert mails, "no reset mail"
    assert "http://localhost:3000/auth/reset-password?token=" in mails[0].text
    return mails[0].text.split("token=", 1)[1].split()[0]


@pytest.fixture
def limits(settings_env):
    from tests.conftest import reset_clients

    def set_limits(**values: int) -> None:
        settings_env.setenv("LECTERN_KV_PREFIX", f"lectern-test-{uuid.uuid4().hex[:8]}")
        for name, value in values.items():
            settings_env.setenv(f"LECTERN_{name.upper()}", str(value))
        reset_clients()

    return set_limits


def test_a_reset_by_mail_sets_the_password_and_ends_older_sessions(stack: LocalStack):
    email = unique_email()
    before = _register(email)
    assert invoke("auth", "POST", "/v1/auth/password-reset", body={"email": email}).status == 202
    token = _reset_token(stack, email)
    confirmed = invoke(
        "auth",
        "POST",
        "/v1/auth/password-reset/confirm",
        body={"token": token, "new_password": NEW},
    )
    assert confirmed.status == 200, confirmed.body
    assert confirmed.body["user"]["email"] == email
    assert invoke("users", "GET", "/v1/me", token=before).status == 401
    assert invoke("users", "GET", "/v1/me", token=confirmed.body["session"]["token"]).status == 200
    assert _login(email, OLD) == 401 and _login(email, NEW) == 200
    again = invoke(
        "auth",
        "POST",
        "/v1/auth/password-reset/confirm",
        body={"token": token, "new_password": "yet another one"},
    )
    assert again.status == 401
    assert again.headers["content-type"] == "application/problem+json"


def test_an_unknown_address_gets_the_same_202_and_no_mail(stack: LocalStack):
    email = unique_email("nobody")
    reply = invoke("auth", "POST", "/v1/auth/password-reset", body={"email": email})
    assert reply.status == 202
    assert stack.sent_mail(email) == []


def test_bad_input_names_the_field():
    bad = invoke("auth", "POST", "/v1/auth/password-reset", body={"email": "nope"})
    assert bad.status == 422 and {e["field"] for e in bad.body["errors"]} == {"email"}
    short = invoke(
        "auth",
        "POST",
        "/v1/auth/password-reset/confirm",
        body={"token": "x" * 43, "new_password": "short"},
    )
    assert short.status == 422
    assert {e["field"] for e in short.body["errors"]} == {"new_password"}
    token = _register(unique_email())
    missing = invoke("users", "POST", "/v1/me/password", token=token, body={"new_password": NEW})
    assert missing.status == 422
    assert {e["field"] for e in missing.body["errors"]} == {"current_password"}


def test_resets_are_throttled_per_mailbox_with_plus_addressing_folded(limits, stack: LocalStack):
    limits(password_resets_per_email=2)
    local = f"reset-{uuid.uuid4().hex[:6]}"
    email = f"{local}@example.com"
    _register(email)
    statuses = [
        invoke(
            "auth", "POST", "/v1/auth/password-reset", body={"email": f"{local}+{n}@example.com"}
        ).status
        for n in range(2)
    ]
    assert statuses == [202, 202]
    refused = invoke("auth", "POST", "/v1/auth/password-reset", body={"email": email})
    assert refused.status == 429 and int(refused.headers["retry-after"]) >= 1
    assert [m for m in stack.sent_mail(email) if "password" in m.subject.lower()] == []


def test_resets_are_throttled_per_source_address(limits, stack: LocalStack):
    limits(password_resets_per_ip=3)
    emails = [unique_email("ip") for _ in range(4)]
    for email in emails:
        _register(email)
    statuses = [
        invoke(
            "auth",
            "POST",
            "/v1/auth/password-reset",
            source_ip="198.51.100.77",
            body={"email": email},
        ).status
        for email in emails
    ]
    assert statuses == [202, 202, 202, 429]
    assert [m for m in stack.sent_mail(emails[3]) if "password" in m.subject.lower()] == []


def test_change_password_over_http(stack: LocalStack):
    email = unique_email()
    token = _register(email)
    other = invoke("auth", "POST", "/v1/auth/login", body={"email": email, "password": OLD})
    wrong = invoke(
        "users",
        "POST",
        "/v1/me/password",
        token=token,
        body={"current_password": "not the password", "new_password": NEW},
    )
    assert wrong.status == 401
    assert _login(email, OLD) == 200
    ok = invoke(
        "users",
        "POST",
        "/v1/me/password",
        token=token,
        body={"current_password": OLD, "new_password": NEW},
    )
    assert ok.status == 204
    assert invoke("users", "GET", "/v1/me", token=token).status == 200
    assert invoke("users", "GET", "/v1/me", token=other.body["session"]["token"]).status == 401
    assert _login(email, OLD) == 401 and _login(email, NEW) == 200
    assert invoke("users", "POST", "/v1/me/password", body={"new_password": NEW}).status == 401


def test_sessions_list_end_one_and_end_the_others():
    email = unique_email()
    current = _register(email)
    second = invoke("auth", "POST", "/v1/auth/login", body={"email": email, "password": OLD})
    third = invoke("auth", "POST", "/v1/auth/login", body={"email": email, "password": OLD})
    listed = invoke("users", "GET", "/v1/me/sessions", token=current)
    assert listed.status == 200
    items = listed.body["items"]
    assert len(items) == 3
    assert {"id", "created_at", "expires_at", "current"} <= set(items[0])
    assert [i["current"] for i in items].count(True) == 1
    assert current not in {i["id"] for i in items}

    victim = next(i for i in items if not i["current"])
    assert invoke("users", "DELETE", f"/v1/me/sessions/{victim['id']}", token=current).status == 204
    assert invoke("users", "DELETE", f"/v1/me/sessions/{victim['id']}", token=current).status == 404
    assert invoke("users", "DELETE", "/v1/me/sessions/unknown", token=current).status == 404
    left = invoke("users", "GET", "/v1/me/sessions", token=current).body["items"]
    assert len(left) == 2

    assert invoke("users", "DELETE", "/v1/me/sessions", token=current).status == 204
    tokens = [second.body["session"]["token"], third.body["session"]["token"]]
    assert [invoke("users", "GET", "/v1/me", token=t).status for t in tokens] == [401, 401]
    only = invoke("users", "GET", "/v1/me/sessions", token=current).body["items"]
    assert [i["current"] for i in only] == [True]

"""Accounts end to end through the `auth` and `users` Lambda handlers."""

import uuid

import pytest

from local.stack import LocalStack
from tests.conftest import unique_email
from tests.e2e.conftest import invoke

PASSWORD = "e2e password 123"


def _register(email: str | None = None, name: str = "E2E") -> tuple[str, dict]:
    reply = invoke(
        "auth",
        "POST",
        "/v1/auth/register",
        body={"email": email or unique_email(), "password": PASSWORD, "name": name},
    )
    assert reply.status == 201, reply.body
    return reply.body["session"]["token"], reply.body["user"]


def _admin_token() -> str:
    from lectern.core.principal import UserRole
    from lectern.db.engine import get_sessionmaker
    from lectern.identity.service import create_account

    email = unique_email("admin")
    with get_sessionmaker()() as db:
        create_account(db, email=email, name="Admin", password=PASSWORD, role=UserRole.admin)
        db.commit()
    reply = invoke("auth", "POST", "/v1/auth/login", body={"email": email, "password": PASSWORD})
    assert reply.status == 200
    return reply.body["session"]["token"]


def test_register_me_update_logout():
    email = unique_email()
    token, user = _register(email, name="Ada")
    assert set(user) == {"id", "email", "name", "role"}
    assert user["role"] == "student" and user["email"] == email

    me = invoke("users", "GET", "/v1/me", token=token)
    assert me.status == 200
    assert {"id", "email", "name", "role", "xp", "level", "streak_days", "created_at"} <= set(
        me.body
    )
    assert me.body["id"] == user["id"]

    patched = invoke("users", "PATCH", "/v1/me", token=token, body={"name": "Ada L."})
    assert patched.status == 200 and patched.body["name"] == "Ada L."

    assert invoke("auth", "POST", "/v1/auth/logout", token=token).status == 204
    after = invoke("users", "GET", "/v1/me", token=token)
    assert after.status == 401
    assert after.headers["www-authenticate"] == "Bearer"


def test_register_conflict_and_bad_input_name_the_field():
    email = unique_email()
    _register(email)
    again = invoke(
        "auth",
        "POST",
        "/v1/auth/register",
        body={"email": email, "password": PASSWORD, "name": "X"},
    )
    assert again.status == 409
    assert again.headers["content-type"] == "application/problem+json"
    bad = invoke(
        "auth",
        "POST",
        "/v1/auth/register",
        body={"email": "nope", "password": "short", "name": "X"},
    )
    assert bad.status == 422
    assert {e["field"] for e in bad.body["errors"]} == {"email", "password"}


def test_a_client_cannot_make_itself_admin():
    reply = invoke(
        "auth",
        "POST",
        "/v1/auth/register",
        body={"email": unique_email(), "password": PASSWORD, "name": "Eve", "role": "admin"},
    )
    assert reply.status == 422
    assert [e["field"] for e in reply.body["errors"]] == ["role"]
    token, _ = _register()
    for field, value in [
        ("role", "admin"),
        ("id", str(uuid.uuid4())),
        ("xp", 10**6),
        ("email", "x@example.com"),
        # Found by the fuzz run: 0 was taken for false and took the learner off the boards.
        ("leaderboard_visible", 0),
        ("leaderboard_visible", "no"),
    ]:
        patched = invoke("users", "PATCH", "/v1/me", token=token, body={field: value})
        assert patched.status == 422, field
    me = invoke("users", "GET", "/v1/me", token=token).body
    assert me["role"] == "student" and me["xp"] == 0 and me["leaderboard_visible"] is True


def test_login_failure_is_identical_for_known_and_unknown_emails():
    email = unique_email()
    _register(email)
    known = invoke(
        "auth", "POST", "/v1/auth/login", body={"email": email, "password": "wrong password"}
    )
    unknown = invoke(
        "auth",
        "POST",
        "/v1/auth/login",
        body={"email": unique_email(), "password": "wrong password"},
    )
    assert known.status == unknown.status == 401
    assert known.body == unknown.body


def test_repeated_failures_get_429_with_retry_after():
    email = unique_email()
    _register(email)
    statuses = [
        invoke(
            "auth", "POST", "/v1/auth/login", body={"email": email, "password": "bad password"}
        ).status
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    reply = invoke("auth", "POST", "/v1/auth/login", body={"email": email, "password": PASSWORD})
    assert reply.status == 429
    assert int(reply.headers["retry-after"]) >= 1


def test_magic_link_requests_are_throttled_per_email():
    email = unique_email()
    statuses = [
        invoke("auth", "POST", "/v1/auth/magic-link", body={"email": email}).status
        for _ in range(6)
    ]
    assert statuses == [202] * 5 + [429]
    assert (
        invoke("auth", "POST", "/v1/auth/magic-link", body={"email": unique_email()}).status == 202
    )


def test_magic_link_mail_verify_once(stack: LocalStack):
    email = unique_email()
    assert invoke("auth", "POST", "/v1/auth/magic-link", body={"email": email}).status == 202
    mails = stack.sent_mail(email)
    assert len(mails) == 1
    assert "http://localhost:3000/auth/magic?token=" in mails[0].text
    token = mails[0].text.split("token=", 1)[1].split()[0]
    first = invoke("auth", "POST", "/v1/auth/magic-link/verify", body={"token": token})
    assert first.status == 200 and first.body["user"]["email"] == email
    second = invoke("auth", "POST", "/v1/auth/magic-link/verify", body={"token": token})
    assert second.status == 401
    assert invoke("users", "GET", "/v1/me", token=first.body["session"]["token"]).status == 200


def test_export_and_delete():
    email = unique_email()
    token, user = _register(email, name="Leaving")
    export = invoke("users", "GET", "/v1/me/export", token=token)
    assert export.status == 200
    assert export.body["user"]["id"] == user["id"] and export.body["profile"]["name"] == "Leaving"
    assert invoke("users", "DELETE", "/v1/me", token=token).status == 204
    assert invoke("users", "GET", "/v1/me", token=token).status == 401
    login = invoke("auth", "POST", "/v1/auth/login", body={"email": email, "password": PASSWORD})
    assert login.status == 401


def test_admin_role_change_is_admin_only():
    student_token, student = _register()
    target_token, target = _register()
    path = f"/v1/admin/users/{target['id']}"
    assert invoke("users", "PATCH", path, token=student_token, body={"role": "admin"}).status == 403
    assert invoke("users", "PATCH", path, body={"role": "admin"}).status == 401
    assert invoke("users", "GET", "/v1/me", token=target_token).body["role"] == "student"

    admin = _admin_token()
    changed = invoke("users", "PATCH", path, token=admin, body={"role": "instructor"})
    assert changed.status == 200 and changed.body["role"] == "instructor"
    assert invoke("users", "GET", "/v1/me", token=target_token).body["role"] == "instructor"
    assert invoke("users", "PATCH", path, token=admin, body={"role": "owner"}).status == 422
    unknown = invoke(
        "users", "PATCH", f"/v1/admin/users/{uuid.uuid4()}", token=admin, body={"role": "admin"}
    )
    assert unknown.status == 404
    assert (
        invoke(
            "users", "PATCH", "/v1/admin/users/not-a-uuid", token=admin, body={"role": "admin"}
        ).status
        == 422
    )
    assert student["role"] == "student"


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer short", "Basic dXNlcjpwYXNz", "Bearer " + "A" * 43]
)
def test_bad_or_missing_tokens_are_401(header: str):
    reply = invoke("users", "GET", "/v1/me", headers={"authorization": header} if header else None)
    assert reply.status == 401
    assert reply.headers["content-type"] == "application/problem+json"


def test_kv_round_trips_per_login_and_per_authenticated_request(stack: LocalStack):
    """One GET per authenticated request; a login is one read of its failure counters and
    one pipeline (the session)."""
    assert stack.emulator is not None
    email = unique_email()
    token, _ = _register(email)
    before = stack.emulator.request_count
    assert invoke("users", "GET", "/v1/me", token=token).status == 200
    assert stack.emulator.request_count - before == 1
    before = stack.emulator.request_count
    assert (
        invoke("auth", "POST", "/v1/auth/login", body={"email": email, "password": PASSWORD}).status
        == 200
    )
    assert stack.emulator.request_count - before == 2


def test_responses_carry_the_api_gateway_request_id():
    reply = invoke("users", "GET", "/v1/me")
    assert len(reply.headers["x-request-id"]) == 32


def test_magic_link_points_at_the_configured_frontend_and_get_does_not_consume(
    stack: LocalStack, settings_env
):
    settings_env.setenv("LECTERN_MAGIC_LINK_URL", "https://app.example.com/signin?src=mail")
    from tests.conftest import reset_clients

    reset_clients()
    email = unique_email()
    assert invoke("auth", "POST", "/v1/auth/magic-link", body={"email": email}).status == 202
    text = stack.sent_mail(email)[0].text
    assert "https://app.example.com/signin?src=mail&token=" in text
    token = text.split("token=", 1)[1].split()[0]
    # A mail scanner following the link, or any GET, cannot burn the token.
    probe = invoke("auth", "GET", "/v1/auth/magic-link/verify", query=f"token={token}")
    assert probe.status == 405
    assert invoke("auth", "POST", "/v1/auth/magic-link/verify", body={"token": token}).status == 200


def test_a_magic_link_account_does_not_publish_its_email(stack: LocalStack):
    """Finding: a magic-link account's display name was its email's local part, shown on
    leaderboards, certificates and courses. Opening the link also verifies the address."""
    local = f"jane.private.{uuid.uuid4().hex[:6]}"
    email = f"{local}@example.com"
    assert invoke("auth", "POST", "/v1/auth/magic-link", body={"email": email}).status == 202
    token = stack.sent_mail(email)[0].text.split("token=", 1)[1].split()[0]
    signed_in = invoke("auth", "POST", "/v1/auth/magic-link/verify", body={"token": token})
    assert signed_in.status == 200
    name = signed_in.body["user"]["name"]
    assert local not in name and "jane" not in name.lower()
    assert name.startswith("Learner ")
    me = invoke("users", "GET", "/v1/me", token=signed_in.body["session"]["token"]).body
    assert me["email_verified"] is True and me["leaderboard_visible"] is True


def _login(email: str, password: str, ip: str) -> int:
    body = {"email": email, "password": password}
    return invoke("auth", "POST", "/v1/auth/login", body=body, source_ip=ip).status


def test_someone_elses_wrong_passwords_do_not_lock_the_owner_out():
    """Finding: ten wrong passwords from anyone gave the owner's correct password a 429."""
    email = unique_email()
    _register(email)
    attacker, owner = "198.51.100.7", "203.0.113.99"
    assert [_login(email, "bad password", attacker) for _ in range(11)] == [401] * 10 + [429]
    assert _login(email, PASSWORD, owner) == 200
    # Only failures count, and a success clears the owner's own typos from that address.
    for _ in range(3):
        assert [_login(email, "typo typo", owner) for _ in range(9)] == [401] * 9
        assert _login(email, PASSWORD, owner) == 200


def test_guesses_spread_over_addresses_hit_the_account_ceiling(settings_env):
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_LOGIN_ATTEMPTS_PER_ACCOUNT", "5")
    reset_clients()
    email = unique_email()
    _register(email)
    statuses = [_login(email, "bad password", f"198.51.100.{n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]
    reply = invoke(
        "auth",
        "POST",
        "/v1/auth/login",
        body={"email": email, "password": PASSWORD},
        source_ip="203.0.113.5",
    )
    assert reply.status == 429 and reply.headers["content-type"] == "application/problem+json"
    assert int(reply.headers["retry-after"]) >= 1

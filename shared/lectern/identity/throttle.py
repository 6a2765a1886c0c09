"""Identity's throttles: logins, magic links and password resets (``lectern.core.throttle``
sliding windows)."""

from __future__ import annotations

import contextlib

from lectern.config import get_settings
from lectern.core.throttle import check, clear, refuse_if_spent
from lectern.errors import RateLimited
from lectern.identity.tokens import hash_token


def _login_counters(email: str, ip: str | None) -> list[tuple[str, str, int]]:
    """(throttle, identifier, limit) of the failed-login counters this attempt is under.

    One per account and address together, the one an owner's own typos fill: someone
    guessing from elsewhere cannot lock them out with it. A higher one per account,
    against guesses spread over many addresses, and one per address across accounts.
    Account keys are hashes: emails never sit in KV key names.
    """
    auth = get_settings().auth
    account = hash_token(email)
    counters = [
        (
            "login-account-ip",
            f"{account}:{hash_token(ip or '-')}",
            auth.login_failures_per_account_ip,
        ),
        ("login-account", account, auth.login_attempts_per_account),
    ]
    if ip:
        counters.append(("login-ip", ip, auth.login_attempts_per_ip))
    return counters


def check_login(email: str, ip: str | None) -> bool:
    """Before the password is checked: a 429 when a failure counter is full (one KV call).
    Returns whether this account and address have failures to forget on success."""
    window = get_settings().auth.login_window_seconds
    counters = _login_counters(email, ip)
    left = refuse_if_spent([(n, i, limit, window) for n, i, limit in counters])
    return left[0] < counters[0][2]


def login_failed(email: str, ip: str | None) -> None:
    window = get_settings().auth.login_window_seconds
    for name, identifier, limit in _login_counters(email, ip):
        with contextlib.suppress(RateLimited):  # the count is what matters here
            check(name, identifier, limit, window)


def login_succeeded(email: str, ip: str | None) -> None:
    """The owner got in: their own typos from this address are forgotten."""
    name, identifier, _limit = _login_counters(email, ip)[0]
    clear(name, identifier, get_settings().auth.login_window_seconds)


HOUR = 3600


def mailbox(email: str) -> str:
    """The mailbox an address delivers to, for per-address limits: lower-cased, with
    plus-addressing folded (``ann+7@x.org`` is ``ann@x.org``), so tags don't multiply
    a limit."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def check_mail_budget() -> None:
    """One mail more this hour, platform-wide: a flood of addresses can't run up SES."""
    check("mail", "all", get_settings().auth.mail_per_hour, HOUR)


def check_magic_link(email: str, ip: str | None = None) -> None:
    auth = get_settings().auth
    # Keys are hashes: emails never sit in KV key names.
    check(
        "magic-link",
        hash_token(mailbox(email)),
        auth.magic_links_per_email,
        auth.magic_link_window_seconds,
    )
    if ip:
        check("magic-link-ip", ip, auth.magic_links_per_ip, auth.magic_link_window_seconds)
    check_mail_budget()


def check_registration(ip: str | None) -> None:
    auth = get_settings().auth
    if ip:
        check("register-ip", ip, auth.registrations_per_ip, HOUR)
    check("register", "all", auth.registrations_per_hour, HOUR)


def check_verification_mail(user_id: str) -> None:
    check("verify-mail", user_id, get_settings().auth.verification_mails_per_user, HOUR)
    check_mail_budget()


def check_password_reset(email: str, ip: str | None = None) -> None:
    """Counted whether or not the address has an account, so a 429 says nothing of it."""
    auth = get_settings().auth
    window = auth.password_reset_window_seconds
    check("password-reset", hash_token(mailbox(email)), auth.password_resets_per_email, window)
    if ip:
        check("password-reset-ip", ip, auth.password_resets_per_ip, window)
    check_mail_budget()

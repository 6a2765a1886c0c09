"""Unsubscribe tokens: what one signs, it alone verifies; any change is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from lectern.core.upkeep import latest_hour
from lectern.notifications import tokens


def test_a_token_names_the_user_and_type_it_was_signed_for():
    user = uuid.uuid4()
    token = tokens.sign(user, "thread_reply")
    assert tokens.verify(token) == (user, "thread_reply")
    assert len(token) < 100


def _flip(text: str, at: int) -> str:
    swapped = "A" if text[at] != "A" else "B"
    return text[:at] + swapped + text[at + 1 :]


@pytest.mark.parametrize("where", ["payload", "mac"])
def test_a_changed_token_is_refused(where: str):
    token = tokens.sign(uuid.uuid4(), "meeting_update")
    payload, mac = token.split(".")
    changed = f"{_flip(payload, 3)}.{mac}" if where == "payload" else f"{payload}.{_flip(mac, 2)}"
    assert tokens.verify(changed) is None


def test_a_token_for_one_type_cannot_be_turned_into_another():
    user = uuid.uuid4()
    _, mac = tokens.sign(user, "thread_reply").split(".")
    other_payload, _ = tokens.sign(user, "reply_endorsed").split(".")
    assert tokens.verify(f"{other_payload}.{mac}") is None


@pytest.mark.parametrize("garbage", ["", ".", "abc", "a.b", "!!!.???", "a" * 150 + ".x"])
def test_garbage_is_refused(garbage: str):
    assert tokens.verify(garbage) is None


def test_another_key_signs_other_tokens(settings_env):
    from tests.conftest import reset_clients

    user = uuid.uuid4()
    token = tokens.sign(user, "thread_reply")
    settings_env.setenv("LECTERN_NOTIFICATIONS_SIGNING_KEY", "another-key")
    reset_clients()
    assert tokens.verify(token) is None
    assert tokens.verify(tokens.sign(user, "thread_reply")) == (user, "thread_reply")


@pytest.mark.parametrize(
    ("now", "cutoff"),
    [
        (datetime(2027, 3, 4, 7, 0, tzinfo=UTC), datetime(2027, 3, 4, 7, 0, tzinfo=UTC)),
        (datetime(2027, 3, 4, 6, 59, tzinfo=UTC), datetime(2027, 3, 3, 7, 0, tzinfo=UTC)),
        (datetime(2027, 3, 4, 23, 30, tzinfo=UTC), datetime(2027, 3, 4, 7, 0, tzinfo=UTC)),
    ],
)
def test_the_digest_holds_what_was_due_before_the_last_digest_hour(now, cutoff):
    assert latest_hour(now, 7) == cutoff

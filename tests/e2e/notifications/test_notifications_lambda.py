"""The notifications function through its Lambda handler: inbox, mark-read, preferences,
and unsubscribe by JSON or by a mail client's one-click POST (RFC 8058)."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import invoke
from tests.factories import new_account

F = "notifications"
TYPE = "certificate_issued"


def _notify(account, n=1):
    from lectern.db.engine import get_sessionmaker
    from lectern.notifications.service import notify

    with get_sessionmaker()() as db:
        for i in range(n):
            notify(db, [account.id], TYPE, title=f"T{i}", link=f"/l/{i}")
        db.commit()


def test_inbox_and_mark_read():
    ann = new_account()
    _notify(ann, 3)
    page = invoke(F, "GET", "/v1/me/notifications", token=ann.token, query="limit=2")
    assert page.status == 200, page.body
    assert page.body["unread_count"] == 3
    assert [i["title"] for i in page.body["items"]] == ["T2", "T1"]
    assert set(page.body["items"][0]) == {
        "id",
        "type",
        "title",
        "body",
        "link",
        "created_at",
        "read_at",
    }
    first = page.body["items"][0]["id"]
    read = invoke(F, "POST", "/v1/me/notifications/read", token=ann.token, body={"ids": [first]})
    assert (read.status, read.body) == (200, {"unread_count": 2})
    unread = invoke(F, "GET", "/v1/me/notifications", token=ann.token, query="unread=true")
    assert first not in [i["id"] for i in unread.body["items"]]
    assert len(unread.body["items"]) == 2
    every = invoke(F, "POST", "/v1/me/notifications/read", token=ann.token, body={"all": True})
    assert every.body == {"unread_count": 0}


def test_another_users_ids_mark_nothing():
    ann, bob = new_account(), new_account()
    _notify(ann)
    [item] = invoke(F, "GET", "/v1/me/notifications", token=ann.token).body["items"]
    reply = invoke(
        F, "POST", "/v1/me/notifications/read", token=bob.token, body={"ids": [item["id"]]}
    )
    assert reply.status == 200
    assert invoke(F, "GET", "/v1/me/notifications", token=ann.token).body["unread_count"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"ids": [], "all": True}, "ids"),
        ({"ids": ["not-a-uuid"]}, "ids.0"),
        ({"all": False}, "all"),
        ({"all": True, "extra": 1}, "extra"),
        ({"ids": [str(uuid.uuid4())], "all": True}, "body"),
    ],
)
def test_mark_read_refuses_bad_bodies_by_name(body, field):
    ann = new_account()
    reply = invoke(F, "POST", "/v1/me/notifications/read", token=ann.token, body=body)
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert field in {e["field"] for e in reply.body["errors"]}, reply.body


def test_preferences_round_trip_and_unknown_types_are_named():
    ann = new_account()
    got = invoke(F, "GET", "/v1/me/notification-preferences", token=ann.token)
    assert got.status == 200
    assert got.body["types"][TYPE] == {"in_app": True, "email": "immediate"}
    put = invoke(
        F,
        "PUT",
        "/v1/me/notification-preferences",
        token=ann.token,
        body={"types": {TYPE: {"in_app": False, "email": "daily"}}},
    )
    assert put.status == 200 and put.body["types"][TYPE] == {"in_app": False, "email": "daily"}
    bad = invoke(
        F,
        "PUT",
        "/v1/me/notification-preferences",
        token=ann.token,
        body={"types": {"nope": {"email": "off"}}},
    )
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "types.nope"
    worse = invoke(
        F,
        "PUT",
        "/v1/me/notification-preferences",
        token=ann.token,
        body={"types": {TYPE: {"email": "weekly"}}},
    )
    assert worse.status == 422
    assert worse.body["errors"][0]["field"] == f"types.{TYPE}.email"
    again = invoke(F, "GET", "/v1/me/notification-preferences", token=ann.token)
    assert again.body["types"][TYPE] == {"in_app": False, "email": "daily"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/me/notifications"),
        ("POST", "/v1/me/notifications/read"),
        ("GET", "/v1/me/notification-preferences"),
        ("PUT", "/v1/me/notification-preferences"),
    ],
)
def test_the_inbox_needs_a_session(method, path):
    reply = invoke(F, method, path, body={"all": True} if method != "GET" else None)
    assert reply.status == 401


def _email_pref(account):
    return invoke(F, "GET", "/v1/me/notification-preferences", token=account.token).body["types"][
        TYPE
    ]["email"]


def test_unsubscribe_by_json_needs_no_session():
    from lectern.notifications.tokens import sign

    ann = new_account()
    reply = invoke(F, "POST", "/v1/notifications/unsubscribe", body={"token": sign(ann.id, TYPE)})
    assert (reply.status, reply.body) == (200, {"type": TYPE, "email": "off"})
    assert _email_pref(ann) == "off"


def test_one_click_unsubscribe_as_a_mail_client_posts_it():
    from urllib.parse import quote

    from lectern.notifications.tokens import sign

    ann = new_account()
    reply = invoke(
        F,
        "POST",
        "/v1/notifications/unsubscribe",
        query=f"token={quote(sign(ann.id, TYPE))}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        raw_body="List-Unsubscribe=One-Click",
    )
    assert reply.status == 200, reply.body
    assert _email_pref(ann) == "off"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token": "forged.token"}, "token"),
        ({}, "token"),
        ({"token": ""}, "token"),
        ({"token": "x", "user_id": "y"}, "user_id"),
    ],
)
def test_unsubscribe_refuses_what_lectern_did_not_sign(body, field):
    reply = invoke(F, "POST", "/v1/notifications/unsubscribe", body=body)
    assert reply.status == 422, reply.body
    assert field in {e["field"] for e in reply.body["errors"]}


def test_a_token_for_an_unregistered_type_is_refused():
    from lectern.notifications.tokens import sign

    ann = new_account()
    reply = invoke(
        F, "POST", "/v1/notifications/unsubscribe", body={"token": sign(ann.id, "no_such_type")}
    )
    assert reply.status == 422

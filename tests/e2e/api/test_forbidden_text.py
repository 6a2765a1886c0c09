"""NUL characters and lone surrogates, anywhere a route reads text, are a 422 naming the
field, through the real handlers, and nothing is written (they used to reach Postgres
and answer 500)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Reply, invoke
from tests.factories import Account, new_account


@pytest.fixture(scope="module")
def author() -> Account:
    return new_account("instructor", name="Text Guard Author")


def _refused(reply: Reply, field: str) -> None:
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.body["type"] == "urn:lectern:problem:validation-error"
    assert [e["field"] for e in reply.body["errors"]] == [field]
    assert "x-request-id" in reply.headers


@pytest.mark.parametrize(
    ("function", "path", "query", "field"),
    [
        ("courses", "/v1/courses", "tag=bio%00logy", "tag"),
        ("courses", "/v1/courses", "category=%00", "category"),
        ("search", "/v1/search", "q=%C2%A6%26%0B%00%C3%BF", "q"),
        ("search", "/v1/search", "q=cell%ED%A0%80&type=course%00", "type"),
    ],
)
def test_query_values(author: Account, function: str, path: str, query: str, field: str):
    _refused(invoke(function, "GET", path, token=author.token, query=query), field)


def test_a_path_parameter():
    _refused(invoke("progress", "GET", "/v1/certificates/LECT-\x00", route_key=None), "path")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "Cells", "tags": ["bio\u0000"]}, "tags.0"),
        ({"title": "Cells\ud999"}, "title"),
        ({"title": "Cells", "description": "ok", "tags": ["a", "\udc00b"]}, "tags.1"),
        ({"title": "Cells", "\u0000": 1}, "\u0000"),
    ],
)
def test_json_bodies_at_any_depth(author: Account, body: dict, field: str):
    before = invoke("courses", "GET", "/v1/courses", token=author.token, query="limit=100")
    _refused(invoke("courses", "POST", "/v1/courses", token=author.token, body=body), field)
    after = invoke("courses", "GET", "/v1/courses", token=author.token, query="limit=100")
    assert after.body == before.body  # nothing was created


def test_a_patch_changes_nothing(author: Account):
    created = invoke(
        "courses", "POST", "/v1/courses", token=author.token, body={"title": "Guarded"}
    )
    assert created.status == 201, created.body
    path = f"/v1/courses/{created.body['id']}"
    reply = invoke(
        "courses", "PATCH", path, token=author.token, body={"title": "New", "tags": ["x\u0000"]}
    )
    _refused(reply, "tags.0")
    assert invoke("courses", "GET", path, token=author.token).body["title"] == "Guarded"


def test_nested_event_context(author: Account):
    body = {"events": [{"type": "lesson_viewed", "context": {"a": {"b": ["ok", "\u0000"]}}}]}
    reply = invoke("analytics", "POST", "/v1/events", token=author.token, body=body)
    _refused(reply, "events.0.context.a.b.1")


def test_ordinary_text_still_passes(author: Account):
    # A valid surrogate pair (one emoji), control characters Postgres takes, and U+FFFD.
    title = "Cells \U0001f9ec\t\ufffd"
    assert json.dumps(title) != title
    created = invoke("courses", "POST", "/v1/courses", token=author.token, body={"title": title})
    assert created.status == 201, created.body
    assert created.body["title"] == title

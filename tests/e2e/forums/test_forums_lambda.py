"""The forums function through its Lambda handler: the contract's shapes and codes, bad
input named by field, hostile markdown served harmless."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import invoke
from tests.factories import new_account, new_course
from tests.unit.forums.test_markdown import _tags

F = "forums"


@pytest.fixture(scope="module")
def world():
    owner = new_account("instructor", "Prof")
    course, _ = new_course(owner, lessons=1)
    ann, bob = new_account(name="Ann"), new_account(name="Bob")
    for learner in (ann, bob):
        assert (
            invoke(
                "progress", "POST", f"/v1/courses/{course.id}/enroll", token=learner.token
            ).status
            == 201
        )
    return {"owner": owner, "course": course, "ann": ann, "bob": bob, "outsider": new_account()}


def _thread(world, who="ann", **body):
    reply = invoke(
        F,
        "POST",
        f"/v1/courses/{world['course'].id}/threads",
        token=world[who].token,
        body={"title": "Why?", "body": "Because *cells*.", **body},
    )
    assert reply.status == 201, reply.body
    return reply.body


def test_a_thread_and_its_reply_as_the_contract_shows_them(world):
    thread = _thread(world)
    assert {
        "id",
        "course_id",
        "title",
        "body",
        "author",
        "score",
        "reply_count",
        "pinned",
        "closed",
        "created_at",
    } <= set(thread)
    assert thread["author"] == {"id": str(world["ann"].id), "name": "Ann"}
    assert thread["body_html"] == "<p>Because <em>cells</em>.</p>\n"
    assert thread["following"] is True and thread["my_vote"] == 0
    reply = invoke(
        F,
        "POST",
        f"/v1/threads/{thread['id']}/replies",
        token=world["bob"].token,
        body={"body": "Sure"},
    )
    assert reply.status == 201
    assert {
        "id",
        "thread_id",
        "parent_id",
        "body",
        "author",
        "score",
        "endorsed",
        "created_at",
    } <= set(reply.body)
    listed = invoke(F, "GET", f"/v1/threads/{thread['id']}/replies", token=world["ann"].token)
    assert listed.status == 200 and [r["id"] for r in listed.body["items"]] == [reply.body["id"]]
    assert listed.body["next_cursor"] is None
    page = invoke(
        F,
        "GET",
        f"/v1/courses/{world['course'].id}/threads",
        token=world["bob"].token,
        query="sort=top&limit=5",
    )
    assert page.status == 200 and "next_cursor" in page.body
    one = invoke(F, "GET", f"/v1/threads/{thread['id']}", token=world["bob"].token)
    assert one.body["reply_count"] == 1 and one.body["following"] is False


HOSTILE = {
    "<script>alert(1)</script>": "&lt;script&gt;",
    "[x](javascript:alert(1))": "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>": "&lt;img",
    "[ok](https://ok.example)": 'rel="nofollow ugc"',
}


@pytest.mark.parametrize("markdown", HOSTILE)
def test_hostile_markdown_is_stored_as_written_and_served_harmless(world, markdown):
    thread = _thread(world, body=markdown)
    assert thread["body"] == markdown
    assert HOSTILE[markdown] in thread["body_html"]
    for tag, attrs in _tags(thread["body_html"]):
        assert tag != "script" and not [a for a in attrs if a.startswith("on")]
        assert not (attrs.get("href") or "").lower().startswith("javascript")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "T"}, "body"),
        ({"title": "T", "body": "   "}, "body"),
        ({"title": "T" * 201, "body": "x"}, "title"),
        ({"title": "T", "body": "x", "author_id": str(uuid.uuid4())}, "author_id"),
        ({"title": "T", "body": "x", "score": 100}, "score"),
        ({"title": "T", "body": "x", "anonymous": "sometimes"}, "anonymous"),
    ],
)
def test_a_bad_thread_is_refused_by_field(world, body, field):
    reply = invoke(
        F, "POST", f"/v1/courses/{world['course'].id}/threads", token=world["ann"].token, body=body
    )
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert field in {e["field"] for e in reply.body["errors"]}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/threads/{t}/vote", {"value": 2}, "value"),
        ("/v1/threads/{t}/vote", {}, "value"),
        ("/v1/threads/{t}/replies", {"body": "x", "parent_id": "nope"}, "parent_id"),
        ("/v1/threads/{t}/replies", {"body": "x", "parent_id": str(uuid.uuid4())}, "parent_id"),
        ("/v1/threads/{t}/flag", {"reason": ""}, "reason"),
        ("/v1/threads/{t}", {"title": None}, "title"),
        ("/v1/threads/{t}", {"pinned": "maybe"}, "pinned"),
    ],
)
def test_bad_input_on_a_thread_is_refused_by_field(world, path, body, field):
    thread = _thread(world)
    method = "PUT" if path.endswith("vote") else "PATCH" if path == "/v1/threads/{t}" else "POST"
    reply = invoke(F, method, path.format(t=thread["id"]), token=world["bob"].token, body=body)
    assert reply.status == 422, reply.body
    assert field in {e["field"] for e in reply.body["errors"]}


def test_unknown_ids_are_404_and_a_bad_cursor_or_sort_is_422(world):
    missing = uuid.uuid4()
    for method, path in (
        ("GET", f"/v1/threads/{missing}"),
        ("GET", f"/v1/courses/{missing}/threads"),
        ("DELETE", f"/v1/replies/{missing}"),
        ("POST", f"/v1/replies/{missing}/endorse"),
    ):
        assert invoke(F, method, path, token=world["ann"].token).status == 404, path
    course = world["course"].id
    bad = invoke(
        F, "GET", f"/v1/courses/{course}/threads", token=world["ann"].token, query="sort=best"
    )
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "sort"
    bad = invoke(
        F, "GET", f"/v1/courses/{course}/threads", token=world["ann"].token, query="cursor=%%%"
    )
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "cursor"


def test_votes_flags_and_moderation_codes(world):
    thread = _thread(world)
    t = thread["id"]
    own = invoke(F, "PUT", f"/v1/threads/{t}/vote", token=world["ann"].token, body={"value": 1})
    assert own.status == 409
    up = invoke(F, "PUT", f"/v1/threads/{t}/vote", token=world["bob"].token, body={"value": 1})
    assert (up.status, up.body) == (200, {"score": 1, "my_vote": 1})
    flagged = invoke(
        F, "POST", f"/v1/threads/{t}/flag", token=world["bob"].token, body={"reason": "rude"}
    )
    assert flagged.status == 202
    queue = invoke(F, "GET", f"/v1/courses/{world['course'].id}/flags", token=world["owner"].token)
    assert queue.status == 200
    mine = [f for f in queue.body["items"] if f["thread_id"] == t]
    assert [(f["reason"], f["flagged_by"]["name"]) for f in mine] == [("rude", "Bob")]
    assert (
        invoke(F, "GET", f"/v1/courses/{world['course'].id}/flags", token=world["ann"].token).status
        == 403
    )
    pin = invoke(F, "PATCH", f"/v1/threads/{t}", token=world["ann"].token, body={"pinned": True})
    assert pin.status == 403
    closed = invoke(
        F, "PATCH", f"/v1/threads/{t}", token=world["owner"].token, body={"closed": True}
    )
    assert closed.status == 200 and closed.body["closed"] is True
    late = invoke(
        F, "POST", f"/v1/threads/{t}/replies", token=world["bob"].token, body={"body": "late"}
    )
    assert late.status == 409
    assert invoke(F, "PUT", f"/v1/threads/{t}/follow", token=world["bob"].token).status == 204
    assert invoke(F, "DELETE", f"/v1/threads/{t}/follow", token=world["bob"].token).status == 204
    assert invoke(F, "DELETE", f"/v1/threads/{t}", token=world["bob"].token).status == 403
    assert invoke(F, "DELETE", f"/v1/threads/{t}", token=world["ann"].token).status == 204


def test_outsiders_and_anonymous_callers_get_nothing(world):
    thread = _thread(world)
    for who, status in (("outsider", 403), (None, 401)):
        token = world[who].token if who else None
        for method, path in (
            ("GET", f"/v1/courses/{world['course'].id}/threads"),
            ("GET", f"/v1/threads/{thread['id']}"),
            ("GET", f"/v1/threads/{thread['id']}/replies"),
        ):
            reply = invoke(F, method, path, token=token)
            assert reply.status == status, (who, path, reply.body)
            assert "Why?" not in str(reply.body)


def test_posting_and_flagging_are_throttled_per_member(world, settings_env):
    """Gap: each thread or reply can mail every follower, yet a member could post without
    bound. Past the hourly limit a post is 429 (with Retry-After) and stores nothing."""
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_FORUM_POSTS_PER_HOUR", "2")
    settings_env.setenv("LECTERN_FORUM_FLAGS_PER_HOUR", "1")
    reset_clients()
    course = world["course"].id
    poster, other = new_account(name="Prolific"), new_account(name="Quiet")
    for member in (poster, other):
        enrolled = invoke("progress", "POST", f"/v1/courses/{course}/enroll", token=member.token)
        assert enrolled.status == 201
    threads = f"/v1/courses/{course}/threads"
    first = invoke(F, "POST", threads, token=poster.token, body={"title": "One", "body": "a"})
    assert first.status == 201, first.body
    replies = f"/v1/threads/{first.body['id']}/replies"
    reply = invoke(F, "POST", replies, token=poster.token, body={"body": "b"})
    assert reply.status == 201, reply.body
    for path, body in ((threads, {"title": "Three", "body": "c"}), (replies, {"body": "d"})):
        refused = invoke(F, "POST", path, token=poster.token, body=body)
        assert refused.status == 429, refused.body
        assert refused.body["type"].endswith("rate-limited") and refused.headers["retry-after"]
    listed = invoke(F, "GET", threads, token=poster.token, query="limit=100")
    assert [x["title"] for x in listed.body["items"] if x["author"]["name"] == "Prolific"] == [
        "One"
    ]
    assert [r["body"] for r in invoke(F, "GET", replies, token=poster.token).body["items"]] == ["b"]
    # Another member is not held back by them.
    theirs = invoke(F, "POST", threads, token=other.token, body={"title": "Mine", "body": "e"})
    assert theirs.status == 201

    flag = {"reason": "spam"}
    first_flag = f"/v1/threads/{theirs.body['id']}/flag"
    assert invoke(F, "POST", first_flag, token=poster.token, body=flag).status == 202
    second_flag = f"/v1/threads/{first.body['id']}/flag"
    assert invoke(F, "POST", second_flag, token=other.token, body=flag).status == 202
    assert invoke(F, "POST", second_flag, token=poster.token, body=flag).status == 429

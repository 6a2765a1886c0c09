"""Full-text search end to end: writes through the `courses` and `assessments` Lambdas,
the scheduled `search_sync` Lambda drains the outbox, and `GET /v1/search` on the
`search` Lambda answers each caller with what they may see. Twice: on the Postgres
adapter, and on the real Typesense, where the `migrate` Lambda registers the search
function's own key (search-only) and `search_sync` writes with the admin key."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.events import LambdaContext
from local.functions import load_module
from local.stack import LocalStack
from tests.conftest import drop_collection, new_collection, new_search_key, reset_clients
from tests.e2e.conftest import Reply, invoke
from tests.factories import Account, new_account


def search(query: str, account: Account | None = None) -> Reply:
    return invoke(
        "search", "GET", "/v1/search", query=query, token=account.token if account else None
    )


def sync() -> dict[str, Any]:
    handler = load_module("search_sync", "handler.py").handler
    result: dict[str, Any] = handler({}, LambdaContext())
    return result


def ok(reply: Reply, status: int = 201) -> Any:
    assert reply.status == status, reply.body
    return reply.body


@pytest.fixture(scope="module", params=["postgres", "typesense"])
def backend(request: pytest.FixtureRequest, stack: LocalStack) -> Iterator[str]:
    if request.param == "postgres":
        yield "postgres"
        return
    from lectern.db.migrations import REPO_MIGRATIONS

    server = request.getfixturevalue("typesense")
    collection = new_collection()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LECTERN_SEARCH_BACKEND", "typesense")
        env.setenv("LECTERN_TYPESENSE_COLLECTION", collection)
        env.setenv("LECTERN_TYPESENSE_SEARCH_API_KEY", new_search_key())
        reset_clients()
        migrate = load_module("migrate", "handler.py")
        env.setattr(migrate, "SCRIPT_LOCATION", REPO_MIGRATIONS)
        assert migrate.handler({}, None)["typesense_search_key"] == "registered"
        yield "typesense"
    reset_clients()
    drop_collection(server, collection)


@pytest.fixture(scope="module")
def world(backend: str) -> dict[str, Any]:
    """An author with a published and a draft course (a lesson each) and a question, a
    learner enrolled in the published one, and a stranger; the index drained."""
    author, learner, stranger = new_account("instructor"), new_account(), new_account()
    admin = new_account("admin")
    word = "zq" + uuid.uuid4().hex[:8]

    def course(title: str, publish: bool) -> tuple[str, str]:
        made = ok(
            invoke(
                "courses",
                "POST",
                "/v1/courses",
                token=author.token,
                body={"title": f"{title} {word}", "description": "Heart valves"},
            )
        )
        module = ok(
            invoke(
                "courses",
                "POST",
                f"/v1/courses/{made['id']}/modules",
                token=author.token,
                body={"title": "Module"},
            )
        )
        lesson = ok(
            invoke(
                "courses",
                "POST",
                f"/v1/modules/{module['id']}/lessons",
                token=author.token,
                body={"title": f"Lesson {word}", "content": f"The {word} and <b>the atrium</b>."},
            )
        )
        if publish:
            ok(
                invoke("courses", "POST", f"/v1/courses/{made['id']}/publish", token=author.token),
                200,
            )
        return made["id"], lesson["id"]

    published, published_lesson = course("Published", True)
    draft, draft_lesson = course("Draft", False)
    ok(invoke("progress", "POST", f"/v1/courses/{published}/enroll", token=learner.token))
    question = ok(
        invoke(
            "assessments",
            "POST",
            "/v1/questions",
            token=author.token,
            body={
                "prompt": f"Which {word} pumps blood?",
                "type": "true_false",
                "difficulty": "easy",
                "topic": "cardiology",
                "options": [
                    {"text": "True", "is_correct": True},
                    {"text": "False", "is_correct": False},
                ],
            },
        )
    )
    result = sync()
    assert result["search"]["stopped"] == "empty", result
    return {
        "word": word,
        "author": author,
        "learner": learner,
        "stranger": stranger,
        "admin": admin,
        "published": published,
        "published_lesson": published_lesson,
        "draft": draft,
        "draft_lesson": draft_lesson,
        "question": question["id"],
        "backend": backend,
    }


def found_ids(reply: Reply) -> set[str]:
    body = ok(reply, 200)
    assert body["found"] == len(body["hits"])
    return {hit["id"] for hit in body["hits"]}


def test_each_caller_finds_what_they_may_see(world: dict[str, Any]) -> None:
    health = ok(invoke("health", "GET", "/v1/health"), 200)
    assert health["search_backend"] == world["backend"] and health["checks"]["search"] == "ok"
    w = world["word"]
    q = f"q={w}"
    assert found_ids(search(q)) == {world["published"]}
    assert found_ids(search(q, world["stranger"])) == {world["published"]}
    assert found_ids(search(q, world["learner"])) == {world["published"], world["published_lesson"]}
    everything = {
        world[k] for k in ("published", "published_lesson", "draft", "draft_lesson", "question")
    }
    assert found_ids(search(q, world["author"])) == everything
    assert found_ids(search(q, world["admin"])) == everything


def test_hits_carry_type_title_snippet_and_score(world: dict[str, Any]) -> None:
    reply = search(f"q={world['word']}&type=lesson", world["learner"])
    body = ok(reply, 200)
    assert reply.headers["cache-control"] == "private, no-store"
    [hit] = body["hits"]
    assert set(hit) == {"type", "id", "title", "snippet", "score"}
    assert hit["type"] == "lesson" and hit["score"] > 0
    assert f"<mark>{world['word']}</mark>" in hit["snippet"]
    assert "<b>" not in hit["snippet"]


def test_type_limit_and_prefix(world: dict[str, Any]) -> None:
    w = world["word"]
    assert found_ids(search(f"q={w}&type=question", world["author"])) == {world["question"]}
    body = ok(search(f"q={w}&limit=1", world["author"]), 200)
    assert len(body["hits"]) == 1 and body["found"] == 5
    # The word being typed matches as a prefix.
    assert world["published"] in found_ids(search(f"q={w[:-2]}"))


def test_changes_reach_the_index_after_the_next_sync(world: dict[str, Any]) -> None:
    w, author = world["word"], world["author"]
    ok(invoke("courses", "POST", f"/v1/courses/{world['draft']}/publish", token=author.token), 200)
    assert world["draft"] not in found_ids(search(f"q={w}"))  # not yet drained
    sync()
    assert world["draft"] in found_ids(search(f"q={w}"))
    ok(invoke("courses", "DELETE", f"/v1/lessons/{world['draft_lesson']}", token=author.token), 204)
    sync()
    assert world["draft_lesson"] not in found_ids(search(f"q={w}", world["admin"]))
    ok(
        invoke("courses", "POST", f"/v1/courses/{world['draft']}/unpublish", token=author.token),
        200,
    )
    sync()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "q"),
        ("q=", "q"),
        ("q=%20%20", "q"),
        ("q=" + "a" * 201, "q"),
        ("q=cell&type=exam", "type"),
        ("q=cell&limit=0", "limit"),
        ("q=cell&limit=51", "limit"),
    ],
)
def test_bad_queries_name_the_field(query: str, field: str) -> None:
    reply = search(query)
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert (
        field in {e["field"] for e in reply.body.get("errors", [])} or field in reply.body["detail"]
    )


def test_a_bad_token_is_401_not_anonymous() -> None:
    reply = invoke("search", "GET", "/v1/search", query="q=cell", token="x" * 43)
    assert reply.status == 401


def test_typesense_down_is_a_503(settings_env: pytest.MonkeyPatch) -> None:
    from lectern.search.factory import reset_index

    settings_env.setenv("LECTERN_SEARCH_BACKEND", "typesense")
    settings_env.setenv("LECTERN_TYPESENSE_URL", "http://127.0.0.1:9")  # nothing listens
    settings_env.setenv("LECTERN_TYPESENSE_API_KEY", "key")
    settings_env.setenv("LECTERN_TYPESENSE_SEARCH_API_KEY", "search-key")
    reset_clients()
    reset_index()
    try:
        reply = search("q=cell")
        assert reply.status == 503
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.body["detail"] == "search is unavailable"
    finally:
        reset_index()


def test_search_sync_reports_what_it_did() -> None:
    result = sync()
    assert set(result) == {"search", "embed", "backlog"}
    assert result["search"]["stopped"] in {"empty", "deadline"}
    assert result["search"]["failed"] == 0

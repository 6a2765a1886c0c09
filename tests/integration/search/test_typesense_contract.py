"""The Typesense adapter against a recorded contract of what the real 0.24 server in the
stack cannot answer: Typesense 30's synonym sets (Typesense Cloud runs the current
version), an overloaded node, a /health that is not ok, an import answer cut short.
Everything else is tested against the real server (test_search_typesense.py).

``FakeTypesense`` is an httpx transport answering as Typesense 30 does for those calls:
it checks the ``X-TYPESENSE-API-KEY`` header (401 otherwise), names its version on
``GET /debug``, keeps synonym sets (``PUT /synonym_sets/{name}`` with ``items``, each
with an ``id`` and ``synonyms``), refuses a collection naming a set that does not exist
(404), takes ``PATCH /collections/{name}``, and, when overloaded, answers every call
503 ``{"message": "Not Ready or Lagging"}``.
"""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from lectern.errors import DependencyUnavailable
from lectern.search.port import Viewer
from lectern.search.typesense import TypesenseIndex, schema, synonym_set_name
from tests.integration.search.spec import doc

API_KEY = "contract-test-key"
COLLECTION = "lectern_test"
pytestmark = pytest.mark.contract


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


@dataclass
class FakeTypesense:
    version: str = "30.1"
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    synonym_sets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    down: bool = False
    health_ok: bool = True

    def index(self) -> TypesenseIndex:
        return TypesenseIndex(
            "http://typesense.test:8108",
            API_KEY,
            COLLECTION,
            transport=httpx.MockTransport(self.handle),
        )

    def handle(self, request: httpx.Request) -> httpx.Response:  # noqa: C901, PLR0911 - a router
        self.requests.append(request)
        if request.headers.get("x-typesense-api-key") != API_KEY:
            return _json(
                401, {"message": "Forbidden - a valid `x-typesense-api-key` header must be sent."}
            )
        if self.down:
            return _json(503, {"message": "Not Ready or Lagging"})
        parts = [p for p in request.url.path.split("/") if p]
        method = request.method
        if parts == ["health"] and method == "GET":
            return _json(200, {"ok": self.health_ok})
        if parts == ["debug"] and method == "GET":
            return _json(200, {"state": 1, "version": self.version})
        if parts[:1] == ["synonym_sets"] and len(parts) == 2 and method == "PUT":
            items = json.loads(request.content)["items"]
            if any("id" not in item or not item.get("synonyms") for item in items):
                return _json(400, {"message": "Could not find a valid `synonyms` array."})
            self.synonym_sets[parts[1]] = items
            return _json(200, {"name": parts[1], "items": items})
        if parts == ["collections"] and method == "POST":
            return self._create(json.loads(request.content))
        if len(parts) == 2 and parts[0] == "collections" and parts[1] in self.collections:
            current = self.collections[parts[1]]
            if method == "GET":
                return _json(200, {**current, "num_documents": 0})
            if method == "PATCH":
                current.update(json.loads(request.content))
                return _json(200, {"fields": [], **json.loads(request.content)})
        return _json(404, {"message": "Not Found"})

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        name = body["name"]
        if name in self.collections:
            return _json(409, {"message": f"A collection with name `{name}` already exists."})
        for set_name in body.get("synonym_sets", []):
            if set_name not in self.synonym_sets:
                return _json(404, {"message": f"Synonym set `{set_name}` not found."})
        self.collections[name] = {**body, "created_at": 1767225600}
        return _json(201, self.collections[name])


@pytest.fixture
def server() -> FakeTypesense:
    return FakeTypesense()


def calls(server: FakeTypesense) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in server.requests]


def test_on_typesense_30_synonyms_are_a_set_the_collection_names(server: FakeTypesense) -> None:
    adapter = server.index()
    adapter.ensure_schema({"protien": "protein", "mitosys": "mitosis"})
    assert calls(server) == [
        ("GET", "/debug"),
        ("PUT", f"/synonym_sets/{COLLECTION}-synonyms"),
        ("GET", f"/collections/{COLLECTION}"),
        ("POST", "/collections"),
    ]
    assert server.synonym_sets[synonym_set_name(COLLECTION)] == [
        {"id": "typo-mitosys", "root": "mitosys", "synonyms": ["mitosis"]},
        {"id": "typo-protien", "root": "protien", "synonyms": ["protein"]},
    ]
    created = server.collections[COLLECTION]
    assert created["synonym_sets"] == [synonym_set_name(COLLECTION)]
    assert created["fields"] == schema(COLLECTION)["fields"]
    # The version is asked once per client; the set is rewritten whole each run.
    server.requests.clear()
    adapter.ensure_schema({"protien": "protein"})
    assert calls(server) == [
        ("PUT", f"/synonym_sets/{COLLECTION}-synonyms"),
        ("GET", f"/collections/{COLLECTION}"),
    ]
    assert [i["id"] for i in server.synonym_sets[synonym_set_name(COLLECTION)]] == ["typo-protien"]


def test_on_typesense_30_an_older_collection_is_linked_to_the_set(server: FakeTypesense) -> None:
    server.collections[COLLECTION] = schema(COLLECTION, synonym_sets=False)
    server.index().ensure_schema({})
    patch = server.requests[-1]
    assert (patch.method, patch.url.path) == ("PATCH", f"/collections/{COLLECTION}")
    assert json.loads(patch.content) == {"synonym_sets": [synonym_set_name(COLLECTION)]}
    assert server.collections[COLLECTION]["synonym_sets"] == [synonym_set_name(COLLECTION)]


@pytest.mark.parametrize(("version", "sets"), [("30.0", True), ("31.2", True), ("29.0", False)])
def test_the_generation_follows_the_version(
    server: FakeTypesense, version: str, sets: bool
) -> None:
    server.version = version
    adapter = server.index()
    assert adapter.uses_synonym_sets() is sets
    assert adapter.uses_synonym_sets() is sets
    assert calls(server) == [("GET", "/debug")]


def test_an_overloaded_node_is_dependency_unavailable(server: FakeTypesense) -> None:
    adapter = server.index()
    server.down = True
    admin = Viewer(user_id=uuid.uuid4(), is_admin=True)
    for attempt in (
        lambda: adapter.ensure_schema({}),
        lambda: adapter.upsert([doc(title="x")]),
        lambda: adapter.delete([("course", uuid.uuid4())]),
        lambda: adapter.search("x", ["course"], admin, 5),
        adapter.check,
    ):
        with pytest.raises(DependencyUnavailable) as refused:
            attempt()
        assert "503 " in refused.value.reason and "Not Ready or Lagging" in refused.value.reason


def test_a_health_that_is_not_ok_fails_the_check(server: FakeTypesense) -> None:
    adapter = server.index()
    adapter.check()
    server.health_ok = False
    with pytest.raises(DependencyUnavailable):
        adapter.check()


def test_an_import_answer_that_does_not_match_the_batch_is_a_failure() -> None:
    def one_line_for_any_batch(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text='{"success": true}')

    adapter = TypesenseIndex(
        "http://t", API_KEY, COLLECTION, transport=httpx.MockTransport(one_line_for_any_batch)
    )
    with pytest.raises(DependencyUnavailable) as short:
        adapter.upsert([doc(title="a"), doc(title="b")])
    assert "1 lines for 2 documents" in short.value.reason

"""The Typesense adapter against a recorded contract of Typesense 30's HTTP API, and
against a real server when ``TYPESENSE_URL`` (and ``TYPESENSE_API_KEY``) are set.

``FakeTypesense`` is an httpx transport that answers as Typesense does for the calls
the adapter makes: it checks the path, the ``X-TYPESENSE-API-KEY`` header, the JSONL
import body and its ``action``, validates documents against the collection schema,
evaluates ``filter_by`` (``:=``, ``:[...]``, backtick values, ``&&``, ``||``,
parentheses), applies one-way synonyms from the collection's synonym sets, and answers
with Typesense's response shapes: an import answers 200 with one JSON line per document
(``{"success": true}`` or ``{"code": 400, "document": ..., "error": ..., "success":
false}``), a missing document is 404 ``{"message": "Could not find a document with id:
..."}``, an overloaded node 503 ``{"message": "Not Ready or Lagging"}``.
"""

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.assessment import questions as question_service
from lectern.catalog import service as catalog
from lectern.catalog.schemas import CourseIn, LessonIn, ModuleIn
from lectern.core.models import OutboxEntry
from lectern.errors import DependencyUnavailable
from lectern.search import entries, sync
from lectern.search.port import Viewer
from lectern.search.typesense import TypesenseIndex, schema, synonym_set_name
from tests.factories import make_account
from tests.integration.search.test_search_outbox import FakeClock, question_in
from tests.integration.search.test_search_postgres import assert_visibility, doc, visibility_entries

API_KEY = "contract-test-key"
COLLECTION = "lectern_test"
pytestmark = pytest.mark.contract


# -- the fake server -----------------------------------------------------------------------


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


class FilterParser:
    """Typesense ``filter_by``, the subset Lectern sends, evaluated against one document."""

    TOKEN = re.compile(r"\s*(\(|\)|&&|\|\||:=|:\[|\]|,|`[^`]*`|[A-Za-z0-9_.\-]+)")

    def __init__(self, expression: str) -> None:
        self.tokens: list[str] = []
        pos = 0
        while pos < len(expression.rstrip()):
            match = self.TOKEN.match(expression, pos)
            if match is None:
                raise ValueError(f"Could not parse the filter query: `{expression}`.")
            self.tokens.append(match.group(1))
            pos = match.end()
        self.pos = 0
        self.tree = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"Could not parse the filter query: `{expression}`.")

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError("Could not parse the filter query.")
        self.pos += 1
        return token

    def _or(self) -> Any:
        node = self._and()
        while self._peek() == "||":
            self._take()
            node = ("or", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._term()
        while self._peek() == "&&":
            self._take()
            node = ("and", node, self._term())
        return node

    @staticmethod
    def _value(token: str) -> str:
        return token[1:-1] if token.startswith("`") else token

    def _term(self) -> Any:
        if self._peek() == "(":
            self._take("(")
            node = self._or()
            self._take(")")
            return node
        name = self._take()
        op = self._take()
        if op == ":=":
            return ("in", name, [self._value(self._take())])
        if op == ":[":
            values = [self._value(self._take())]
            while self._peek() == ",":
                self._take(",")
                values.append(self._value(self._take()))
            self._take("]")
            return ("in", name, values)
        raise ValueError("Could not parse the filter query.")

    def matches(self, doc: dict[str, Any], node: Any = None) -> bool:
        node = self.tree if node is None else node
        if node[0] == "and":
            return self.matches(doc, node[1]) and self.matches(doc, node[2])
        if node[0] == "or":
            return self.matches(doc, node[1]) or self.matches(doc, node[2])
        _, name, values = node
        value = doc.get(name)
        if isinstance(value, bool):
            value = "true" if value else "false"
        return value is not None and str(value) in values


WORD = re.compile(r"[a-z0-9]+")


@dataclass
class FakeTypesense:
    api_key: str = API_KEY
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    synonym_sets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    down: bool = False
    reject_ids: set[str] = field(default_factory=set)
    health_ok: bool = True

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def index(self, collection: str = COLLECTION) -> TypesenseIndex:
        return TypesenseIndex(
            "http://typesense.test:8108", self.api_key, collection, transport=self.transport()
        )

    def docs(self, collection: str = COLLECTION) -> dict[str, dict[str, Any]]:
        return self.collections[collection]["docs"]  # type: ignore[no-any-return]

    # -- routing --

    def handle(self, request: httpx.Request) -> httpx.Response:  # noqa: C901, PLR0911 - a router
        self.requests.append(request)
        if request.headers.get("x-typesense-api-key") != API_KEY:
            return _json(
                401,
                {"message": "Forbidden - a valid `x-typesense-api-key` header must be sent."},
            )
        if self.down:
            return _json(503, {"message": "Not Ready or Lagging"})
        parts = [p for p in request.url.path.split("/") if p]
        method = request.method
        if parts == ["health"] and method == "GET":
            return _json(200, {"ok": self.health_ok})
        if parts[:1] == ["synonym_sets"] and len(parts) == 2 and method == "PUT":
            items = json.loads(request.content)["items"]
            for item in items:
                if "id" not in item or not item.get("synonyms"):
                    return _json(400, {"message": "Could not find a valid `synonyms` array."})
            self.synonym_sets[parts[1]] = items
            return _json(200, {"name": parts[1], "items": items})
        if parts == ["collections"] and method == "POST":
            return self._create_collection(json.loads(request.content))
        if parts[:1] == ["collections"] and len(parts) >= 2:
            name = parts[1]
            if name not in self.collections:
                return _json(404, {"message": "Not Found"})
            return self._collection(request, name, parts[2:])
        if parts == ["multi_search"] and method == "POST":
            body = json.loads(request.content)
            return _json(200, {"results": [self._search(s) for s in body["searches"]]})
        return _json(404, {"message": "Not Found"})

    def _create_collection(self, body: dict[str, Any]) -> httpx.Response:
        name = body["name"]
        if name in self.collections:
            return _json(409, {"message": f"A collection with name `{name}` already exists."})
        for item in body["fields"]:
            if item["type"] not in ("string", "bool", "int32", "string[]"):
                return _json(400, {"message": f"Field `{item['name']}` has an invalid data type."})
        for set_name in body.get("synonym_sets", []):
            if set_name not in self.synonym_sets:
                return _json(404, {"message": f"Synonym set `{set_name}` not found."})
        created = {**body, "created_at": 1767225600, "num_documents": 0}
        self.collections[name] = {"schema": created, "docs": {}}
        return _json(201, created)

    def _collection(self, request: httpx.Request, name: str, rest: list[str]) -> httpx.Response:
        coll = self.collections[name]
        method = request.method
        if not rest and method == "GET":
            return _json(200, {**coll["schema"], "num_documents": len(coll["docs"])})
        if not rest and method == "PATCH":
            body = json.loads(request.content)
            coll["schema"].update(body)
            return _json(200, {"fields": [], **body})
        if rest == ["documents", "import"] and method == "POST":
            return self._import(request, coll)
        if len(rest) == 2 and rest[0] == "documents" and method == "DELETE":
            doc = coll["docs"].pop(rest[1], None)
            if doc is None:
                return _json(404, {"message": f"Could not find a document with id: {rest[1]}"})
            return _json(200, doc)
        return _json(404, {"message": "Not Found"})

    def _import(self, request: httpx.Request, coll: dict[str, Any]) -> httpx.Response:
        action = request.url.params.get("action", "create")
        if action not in ("create", "upsert", "update", "emplace"):
            return _json(
                400,
                {"message": "Parameter `action` must be one of create, update, upsert, emplace."},
            )
        if not request.headers.get("content-type", "").startswith("text/plain"):
            return _json(400, {"message": "Content-Type must be text/plain."})
        out = []
        for line in request.content.decode().split("\n"):
            out.append(json.dumps(self._import_line(line, action, coll)))
        return httpx.Response(200, text="\n".join(out))

    def _import_line(  # noqa: PLR0911 - one answer per rule the server checks
        self, line: str, action: str, coll: dict[str, Any]
    ) -> dict[str, Any]:
        def failure(error: str, code: int = 400) -> dict[str, Any]:
            return {"code": code, "document": line, "error": error, "success": False}

        try:
            doc = json.loads(line)
        except ValueError:
            return failure("Bad JSON.")
        doc_id = doc.get("id")
        if not isinstance(doc_id, str):
            return failure("Document's `id` field should be a string.")
        if doc_id in self.reject_ids:
            return failure("Field `body` must be a string.")
        for item in coll["schema"]["fields"]:
            value = doc.get(item["name"])
            if value is None:
                if item.get("optional"):
                    continue
                return failure(
                    f"Field `{item['name']}` has been declared in the schema, "
                    "but is not found in the document."
                )
            kind = {"string": str, "bool": bool}.get(item["type"], object)
            if not isinstance(value, kind):
                return failure(f"Field `{item['name']}` must be a {item['type']}.")
        if action == "create" and doc_id in coll["docs"]:
            return failure(f"A document with id {doc_id} already exists.", 409)
        coll["docs"][doc_id] = doc
        return {"success": True}

    # -- search --

    def _alternatives(self, coll: dict[str, Any], token: str) -> set[str]:
        alternatives = {token}
        for set_name in coll["schema"].get("synonym_sets", []):
            for item in self.synonym_sets.get(set_name, []):
                if item.get("root") == token:
                    alternatives.update(item["synonyms"])
        return alternatives

    def _search(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("collection")
        if name not in self.collections:
            return {"code": 404, "error": "Not found."}
        coll = self.collections[name]
        fields = params["query_by"].split(",")
        known = {f["name"] for f in coll["schema"]["fields"]}
        if not set(fields) <= known:
            return {"code": 404, "error": f"Could not find a field named `{fields}` in the schema."}
        weights = [int(w) for w in str(params.get("query_by_weights", "")).split(",") if w]
        if weights and len(weights) != len(fields):
            return {
                "code": 400,
                "error": "Number of weights in `query_by_weights` does not match "
                "number of `query_by` fields.",
            }
        try:
            parsed = FilterParser(params["filter_by"]) if params.get("filter_by") else None
        except ValueError as exc:
            return {"code": 400, "error": str(exc)}
        start, end = (
            params.get("highlight_start_tag", "<mark>"),
            params.get("highlight_end_tag", "</mark>"),
        )
        tokens = WORD.findall(params["q"].lower())
        hits = []
        for stored in coll["docs"].values():
            if parsed is not None and not parsed.matches(stored):
                continue
            score, matched = self._score(coll, stored, fields, weights or [1] * len(fields), tokens)
            if score:
                hits.append((score, stored, matched))
        hits.sort(key=lambda h: (-h[0], h[1]["id"]))
        page = hits[: int(params.get("per_page", 10))]
        include = params.get("include_fields")
        return {
            "facet_counts": [],
            "found": len(hits),
            "hits": [
                self._hit(stored, score, matched, include=include, start=start, end=end)
                for score, stored, matched in page
            ],
            "out_of": len(coll["docs"]),
            "page": int(params.get("page", 1)),
            "request_params": {
                "collection_name": name,
                "per_page": int(params.get("per_page", 10)),
                "q": params["q"],
            },
            "search_cutoff": False,
            "search_time_ms": 0,
        }

    def _score(
        self,
        coll: dict[str, Any],
        doc: dict[str, Any],
        fields: list[str],
        weights: list[int],
        tokens: list[str],
    ) -> tuple[int, set[str]]:
        words = {f: WORD.findall(str(doc.get(f, "")).lower()) for f in fields}
        score, matched = 0, set()
        for position, token in enumerate(tokens):
            last = position == len(tokens) - 1
            best = 0
            for f, weight in zip(fields, weights, strict=True):
                for alt in self._alternatives(coll, token):
                    hit = [w for w in words[f] if w == alt or (last and w.startswith(alt))]
                    if hit:
                        best = max(best, weight)
                        matched.update(hit)
            if not best:
                return 0, set()
            score += best
        return score * 1_000_000, matched

    @staticmethod
    def _hit(
        doc: dict[str, Any],
        score: int,
        matched: set[str],
        *,
        include: str | None,
        start: str,
        end: str,
    ) -> dict[str, Any]:
        shown = {k: v for k, v in doc.items() if include is None or k in include.split(",")}
        highlight: dict[str, Any] = {}
        for name in ("body", "title"):
            words = str(doc.get(name, "")).split()
            hit = [any(t in matched for t in WORD.findall(w.lower())) for w in words]
            if any(hit):
                snippet = " ".join(
                    f"{start}{w}{end}" if h else w for w, h in zip(words, hit, strict=True)
                )
                highlight[name] = {"matched_tokens": sorted(matched), "snippet": snippet}
        return {
            "document": shown,
            "highlight": highlight,
            "highlights": [{"field": k, **v} for k, v in highlight.items()],
            "text_match": score,
            "text_match_info": {"best_field_score": str(score), "fields_matched": len(highlight)},
        }


# -- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def server() -> FakeTypesense:
    return FakeTypesense()


@pytest.fixture
def index(server: FakeTypesense) -> Iterator[TypesenseIndex]:
    adapter = server.index()
    adapter.ensure_schema({"mitosys": "mitosis"})
    yield adapter
    adapter.close()


ADMIN = Viewer(user_id=uuid.uuid4(), is_admin=True)


# -- the contract ------------------------------------------------------------------------------


def test_ensure_schema_creates_the_synonym_set_then_the_collection_once(
    server: FakeTypesense,
) -> None:
    adapter = server.index()
    adapter.ensure_schema({"protien": "protein", "mitosys": "mitosis"})
    calls = [(r.method, r.url.path) for r in server.requests]
    assert calls == [
        ("PUT", f"/synonym_sets/{COLLECTION}-synonyms"),
        ("GET", f"/collections/{COLLECTION}"),
        ("POST", "/collections"),
    ]
    assert server.synonym_sets[synonym_set_name(COLLECTION)] == [
        {"id": "typo-mitosys", "root": "mitosys", "synonyms": ["mitosis"]},
        {"id": "typo-protien", "root": "protien", "synonyms": ["protein"]},
    ]
    created = server.collections[COLLECTION]["schema"]
    assert {f["name"]: f["type"] for f in created["fields"]} == {
        "type": "string",
        "title": "string",
        "body": "string",
        "course_id": "string",
        "owner_id": "string",
        "published": "bool",
    }
    assert created["synonym_sets"] == [synonym_set_name(COLLECTION)]
    server.requests.clear()
    adapter.ensure_schema({"protien": "protein"})
    assert [(r.method, r.url.path) for r in server.requests] == [
        ("PUT", f"/synonym_sets/{COLLECTION}-synonyms"),
        ("GET", f"/collections/{COLLECTION}"),
    ]


def test_ensure_schema_links_the_synonym_set_to_an_older_collection(server: FakeTypesense) -> None:
    old = schema(COLLECTION)
    del old["synonym_sets"]
    server.collections[COLLECTION] = {"schema": old, "docs": {}}
    server.index().ensure_schema({})
    patch = server.requests[-1]
    assert (patch.method, patch.url.path) == ("PATCH", f"/collections/{COLLECTION}")
    assert json.loads(patch.content) == {"synonym_sets": [synonym_set_name(COLLECTION)]}


def test_upsert_sends_jsonl_with_action_upsert_and_the_api_key(
    server: FakeTypesense, index: TypesenseIndex
) -> None:
    docs = [doc(title="Heart"), doc("question", title="Valve?", published=False)]
    server.requests.clear()
    assert index.upsert(docs) == {}
    [request] = server.requests
    assert request.url.path == f"/collections/{COLLECTION}/documents/import"
    assert request.url.params["action"] == "upsert"
    assert request.headers["x-typesense-api-key"] == API_KEY
    lines = [json.loads(line) for line in request.content.decode().split("\n")]
    assert [line["id"] for line in lines] == [d.doc_id for d in docs]
    assert "course_id" not in lines[1]  # optional, left out rather than null
    stored = server.docs()[docs[0].doc_id]
    assert stored["owner_id"] == str(docs[0].owner_id) and stored["published"] is True


def test_a_refused_import_line_fails_its_document_only(
    server: FakeTypesense, index: TypesenseIndex
) -> None:
    docs = [doc(title=f"Doc {i}") for i in range(3)]
    server.reject_ids.add(docs[1].doc_id)
    refused = index.upsert(docs)
    assert refused == {docs[1].key: "Field `body` must be a string."}
    assert set(server.docs()) == {docs[0].doc_id, docs[2].doc_id}


def test_an_import_answer_that_does_not_match_the_batch_is_a_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text='{"success": true}')

    adapter = TypesenseIndex(
        "http://t", API_KEY, COLLECTION, transport=httpx.MockTransport(handler)
    )
    with pytest.raises(DependencyUnavailable):
        adapter.upsert([doc(title="a"), doc(title="b")])


def test_delete_is_by_id_and_a_missing_document_is_fine(
    server: FakeTypesense, index: TypesenseIndex
) -> None:
    kept, gone = doc(title="Kept"), doc(title="Gone")
    index.upsert([kept, gone])
    server.requests.clear()
    index.delete([gone.key, ("lesson", uuid.uuid4())])
    assert [r.method for r in server.requests] == ["DELETE", "DELETE"]
    assert server.requests[0].url.path == f"/collections/{COLLECTION}/documents/{gone.doc_id}"
    assert set(server.docs()) == {kept.doc_id}


def test_search_applies_visibility_through_filter_by(
    server: FakeTypesense, index: TypesenseIndex
) -> None:
    me, other, enrolled_course = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    w = "zqheart"
    made = visibility_entries(w, me, other, enrolled_course)
    assert index.upsert(list(made.values())) == {}
    assert_visibility(index, w, made, me=me, other=other, enrolled_course=enrolled_course)
    # The filter travels in the multi_search body, with the query parameters Lectern relies on.
    search = json.loads(server.requests[-1].content)["searches"][0]
    assert search["query_by"] == "title,body" and search["query_by_weights"] == "3,1"
    assert search["prefix"] == "true,true"


def test_search_ranks_title_first_marks_and_escapes_snippets_and_uses_synonyms(
    server: FakeTypesense, index: TypesenseIndex
) -> None:
    in_body = doc(title="Cells", body="Stages of <b>mitosis</b> & more")
    in_title = doc(title="Mitosis explained", body="Nothing here")
    index.upsert([in_body, in_title])
    hits, found = index.search("mitosys", ["course"], ADMIN, 10)  # one-way synonym
    assert found == 2
    assert [h.id for h in hits] == [in_title.id, in_body.id]
    assert hits[0].score > hits[1].score
    assert hits[1].snippet == "Stages of <mark>&lt;b&gt;mitosis&lt;/b&gt;</mark> &amp; more"
    # Prefix on the last word.
    assert [h.id for h in index.search("mito", ["course"], ADMIN, 10)[0]] == [
        in_title.id,
        in_body.id,
    ]


def test_errors_and_timeouts_are_dependency_unavailable(
    server: FakeTypesense, index: TypesenseIndex
) -> None:
    server.down = True
    with pytest.raises(DependencyUnavailable):
        index.upsert([doc(title="x")])
    with pytest.raises(DependencyUnavailable):
        index.search("x", ["course"], ADMIN, 5)
    with pytest.raises(DependencyUnavailable):
        index.check()
    wrong_key = TypesenseIndex("http://t", "wrong", COLLECTION, transport=server.transport())
    server.down = False
    with pytest.raises(DependencyUnavailable) as refused:
        wrong_key.check()
    assert "401" in refused.value.reason

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    slow = TypesenseIndex("http://t", API_KEY, COLLECTION, transport=httpx.MockTransport(timeout))
    with pytest.raises(DependencyUnavailable):
        slow.delete([("course", uuid.uuid4())])


def test_health_check(server: FakeTypesense, index: TypesenseIndex) -> None:
    index.check()
    server.health_ok = False
    with pytest.raises(DependencyUnavailable):
        index.check()


def test_drain_through_typesense_survives_an_outage_and_converges(
    db: Session, server: FakeTypesense
) -> None:
    """Writes while Typesense answers 503: the rows stay; once it is back, the collection
    equals the database for every object written."""
    author = make_account(db, "instructor")
    p = author.principal
    course = catalog.create_course(
        db, p, CourseIn(title="Typesense course", description="Heart valves")
    )  # type: ignore[arg-type]
    module = catalog.create_module(db, p, course.id, ModuleIn(title="M"))  # type: ignore[arg-type]
    lessons = [
        catalog.create_lesson(db, p, module.id, LessonIn(title=f"L{i}", content="Atrium"))  # type: ignore[arg-type]
        for i in range(3)
    ]
    catalog.publish_course(db, p, course.id)  # type: ignore[arg-type]
    question = question_service.create_question(db, p, question_in(course.id))  # type: ignore[arg-type]
    catalog.delete_lesson(db, p, lessons[0].id)  # type: ignore[arg-type]
    keys = {
        ("course", course.id),
        ("question", question.id),
        *{("lesson", lesson.id) for lesson in lessons},
    }
    adapter = server.index()
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=1))

    server.down = True
    result = sync.run(index_factory=lambda _db: adapter, send=lambda _b: None, clock=clock)
    assert result["search"]["stopped"] == "unavailable"
    server.collections.clear()  # whatever was there, it is gone: ensure_schema remakes it
    server.down = False
    clock.advance(sync.BACKOFF_CAP_SECONDS)
    result = sync.run(index_factory=lambda _db: adapter, send=lambda _b: None, clock=clock)
    assert result["search"]["stopped"] == "empty"
    db.rollback()
    assert (
        db.scalar(
            select(OutboxEntry.id).where(
                OutboxEntry.entity_id.in_([i for _t, i in keys]), OutboxEntry.topic == "search"
            )
        )
        is None
    )
    docs, gone = entries.load(db, keys)
    from lectern.search.typesense import document

    stored = server.docs()
    assert {d.doc_id: document(d) for d in docs} == {
        k: v for k, v in stored.items() if k in {d.doc_id for d in docs}
    }
    assert gone == [("lesson", lessons[0].id)]
    assert f"lesson:{lessons[0].id}" not in stored


# -- a real server -----------------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("TYPESENSE_URL"),
    reason="set TYPESENSE_URL (and TYPESENSE_API_KEY) to run against a real Typesense",
)
def test_against_a_real_typesense_server() -> None:
    url, key = os.environ["TYPESENSE_URL"], os.environ.get("TYPESENSE_API_KEY", "xyz")
    name = f"lectern_contract_{uuid.uuid4().hex[:8]}"
    adapter = TypesenseIndex(url, key, name)
    try:
        adapter.check()
        adapter.ensure_schema({"mitosys": "mitosis"})
        adapter.ensure_schema({"mitosys": "mitosis"})  # twice: no error
        me, other = uuid.uuid4(), uuid.uuid4()
        mine = doc(title="Mitosis stages", body="Prophase and metaphase", owner=me, published=False)
        public = doc(title="Cells", body="All about mitosis", owner=other)
        hidden = doc("question", title="Mitosis question", owner=other, published=False)
        assert adapter.upsert([mine, public, hidden]) == {}
        hits, found = adapter.search("mitosys", ["course", "question"], Viewer(user_id=me), 10)
        assert {h.id for h in hits} == {mine.id, public.id} and found == 2
        hits, _ = adapter.search("mito", ["course"], Viewer(), 10)
        assert [h.id for h in hits] == [public.id]
        assert "<mark>" in hits[0].snippet
        adapter.delete([public.key, ("course", uuid.uuid4())])
        assert adapter.search("cells", ["course"], Viewer(), 10) == ([], 0)
    finally:
        with httpx.Client(base_url=url, headers={"X-TYPESENSE-API-KEY": key}) as client:
            client.delete(f"/collections/{name}")
            client.delete(f"/synonym_sets/{name}-synonyms")
        adapter.close()

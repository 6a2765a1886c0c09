"""The Typesense adapter against the real Typesense 0.24.1 server the stack runs: schema
and per-collection synonyms, JSONL imports, deletes, ranking and snippets, errors, the
search-only key, and the outbox drain, a re-index and an outage through it.

Each test has a collection of its own; the outage test has a server of its own, to kill.
What this server cannot answer (Typesense 30's synonym sets, an overloaded node) is in
test_typesense_contract.py.
"""

import json
import random
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lectern.core.models import OutboxEntry
from lectern.core.outbox import enqueue_everything
from lectern.core.registry import get_registry
from lectern.errors import DependencyUnavailable
from lectern.search import entries, sync
from lectern.search.port import Key, Viewer, doc_id
from lectern.search.typesense import (
    SEARCH_KEY_ACTIONS,
    TypesenseIndex,
    document,
    schema,
    search_key_description,
)
from local.typesense_server import VERSION, TypesenseServer
from tests.conftest import drop_collection, new_collection, new_search_key, reset_clients
from tests.factories import make_account
from tests.integration.search.spec import doc
from tests.integration.search.test_search_outbox import FakeClock, WriteMix

ADMIN = Viewer(user_id=uuid.uuid4(), is_admin=True)


def recorded(index: TypesenseIndex) -> list[httpx.Request]:
    """The requests the adapter sends from now on (observed, not altered)."""
    seen: list[httpx.Request] = []
    index.client.event_hooks["request"].append(seen.append)
    return seen


def calls(requests: list[httpx.Request]) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in requests]


def stored(index: TypesenseIndex) -> dict[str, dict[str, Any]]:
    """Every document of the collection, as the server holds it."""
    response = index.client.get(f"/collections/{index.collection}/documents/export")
    assert response.status_code == 200, response.text
    # Lines end at "\n" only: splitlines() also breaks at a U+2028 or NEL inside a title.
    docs = [json.loads(line) for line in response.text.split("\n") if line.strip()]
    return {d["id"]: d for d in docs}


def synonyms_of(index: TypesenseIndex) -> dict[str, dict[str, Any]]:
    response = index.client.get(f"/collections/{index.collection}/synonyms")
    assert response.status_code == 200, response.text
    return {
        s["id"]: {"root": s["root"], "synonyms": s["synonyms"]} for s in response.json()["synonyms"]
    }


@pytest.fixture
def adapter(typesense: TypesenseServer, typesense_collection: str) -> Iterator[TypesenseIndex]:
    """An admin client on a collection nobody else uses (not made yet)."""
    index = TypesenseIndex(typesense.url, typesense.api_key, typesense_collection)
    yield index
    index.close()


@pytest.fixture
def index(adapter: TypesenseIndex) -> TypesenseIndex:
    adapter.ensure_schema({"mitosys": "mitosis"})
    return adapter


# -- schema and synonyms ----------------------------------------------------------------------


def test_the_server_is_0_24_and_gets_per_collection_synonyms(adapter: TypesenseIndex) -> None:
    c = adapter.collection
    seen = recorded(adapter)
    adapter.ensure_schema({"protien": "protein", "mitosys": "mitosis"})
    assert calls(seen) == [
        ("GET", "/debug"),
        ("GET", f"/collections/{c}"),
        ("POST", "/collections"),
        ("GET", f"/collections/{c}/synonyms"),
        ("PUT", f"/collections/{c}/synonyms/typo-mitosys"),
        ("PUT", f"/collections/{c}/synonyms/typo-protien"),
    ]
    assert adapter.server_version() == VERSION
    created = adapter.client.get(f"/collections/{c}").json()
    assert {f["name"]: (f["type"], f["optional"]) for f in created["fields"]} == {
        "type": ("string", False),
        "title": ("string", False),
        "body": ("string", False),
        "course_id": ("string", True),
        "owner_id": ("string", False),
        "published": ("bool", False),
    }
    assert synonyms_of(adapter) == {
        "typo-mitosys": {"root": "mitosys", "synonyms": ["mitosis"]},
        "typo-protien": {"root": "protien", "synonyms": ["protein"]},
    }

    # The version was read once for this client: a steady run is two GETs.
    seen.clear()
    adapter.ensure_schema({"protien": "protein", "mitosys": "mitosis"})
    assert calls(seen) == [("GET", f"/collections/{c}"), ("GET", f"/collections/{c}/synonyms")]


def test_synonyms_follow_the_table_and_leave_hand_made_ones(index: TypesenseIndex) -> None:
    c = index.collection
    made = index.client.put(
        f"/collections/{c}/synonyms/by-hand", json={"root": "dna", "synonyms": ["genome"]}
    )
    assert made.status_code == 200, made.text
    index.ensure_schema({"mitosys": "mitoses", "cel": "cell"})
    assert synonyms_of(index) == {
        "typo-mitosys": {"root": "mitosys", "synonyms": ["mitoses"]},
        "typo-cel": {"root": "cel", "synonyms": ["cell"]},
        "by-hand": {"root": "dna", "synonyms": ["genome"]},
    }
    index.ensure_schema({})
    assert set(synonyms_of(index)) == {"by-hand"}


# -- writes -----------------------------------------------------------------------------------


def test_upsert_sends_jsonl_with_action_upsert_and_the_server_keeps_each_document(
    index: TypesenseIndex,
) -> None:
    docs = [doc(title="Heart"), doc("question", title="Valve?", published=False)]
    seen = recorded(index)
    assert index.upsert(docs) == {}
    [request] = seen
    assert request.url.path == f"/collections/{index.collection}/documents/import"
    assert request.url.params["action"] == "upsert"
    assert [json.loads(line)["id"] for line in request.content.decode().split("\n")] == [
        d.doc_id for d in docs
    ]
    held = stored(index)
    assert held == {d.doc_id: document(d) for d in docs}
    assert "course_id" not in held[docs[1].doc_id]  # optional: left out rather than null
    changed = doc(title="Heart, again")
    changed = type(changed)(**{**changed.__dict__, "id": docs[0].id})
    assert index.upsert([changed]) == {}
    assert stored(index)[docs[0].doc_id]["title"] == "Heart, again"


def test_a_refused_import_line_fails_its_document_only(adapter: TypesenseIndex) -> None:
    """A collection made by an older schema, where every entry had a course: the server
    refuses the entries without one, line by line, and takes the others."""
    older = schema(adapter.collection, synonym_sets=False)
    for item in older["fields"]:
        item.pop("optional", None)
    assert adapter.client.post("/collections", json=older).status_code == 201
    adapter.ensure_schema({})  # leaves an existing collection as it is
    first, second = doc(title="First"), doc(title="Second")
    orphan = doc("question", title="No course")
    refused = adapter.upsert([first, orphan, second])
    assert refused == {
        orphan.key: "Field `course_id` has been declared in the schema, "
        "but is not found in the document."
    }
    assert set(stored(adapter)) == {first.doc_id, second.doc_id}


def test_delete_is_by_id_and_a_missing_document_is_fine(index: TypesenseIndex) -> None:
    kept, gone = doc(title="Kept"), doc(title="Gone")
    index.upsert([kept, gone])
    seen = recorded(index)
    index.delete([gone.key, ("lesson", uuid.uuid4())])
    assert [r.method for r in seen] == ["DELETE", "DELETE"]
    assert seen[0].url.path == f"/collections/{index.collection}/documents/{gone.doc_id}"
    assert set(stored(index)) == {kept.doc_id}


# -- searching ---------------------------------------------------------------------------------


def test_search_ranks_title_first_marks_and_escapes_snippets_and_uses_synonyms(
    index: TypesenseIndex,
) -> None:
    in_body = doc(title="Cells", body="Stages of <b>mitosis</b> & more")
    in_title = doc(title="Mitosis explained", body="Nothing here")
    index.upsert([in_body, in_title])
    hits, found = index.search("mitosys", ["course"], ADMIN, 10)
    assert found == 2
    assert [h.id for h in hits] == [in_title.id, in_body.id]
    # text_match as a float: the low bits that rank a title over a body may round away.
    assert hits[0].score >= hits[1].score > 0
    snippet = hits[1].snippet
    assert "<mark>" in snippet and "&lt;b&gt;" in snippet and "&amp;" in snippet
    assert "<b>" not in snippet
    assert {h.id for h in index.search("mito", ["course"], ADMIN, 10)[0]} == {
        in_title.id,
        in_body.id,
    }
    # The filter travels in the multi_search body, with the parameters Lectern relies on.
    seen = recorded(index)
    index.search("cells", ["course"], Viewer(), 10)
    [params] = json.loads(seen[0].content)["searches"]
    assert seen[0].url.path == "/multi_search"
    assert params["query_by"] == "title,body" and params["query_by_weights"] == "3,1"
    assert params["filter_by"] == "type:=course && published:=true"
    assert params["drop_tokens_threshold"] == 0


def test_limit_and_found(index: TypesenseIndex) -> None:
    index.upsert([doc(title=f"Atrium number {i}") for i in range(7)])
    hits, found = index.search("atrium", ["course"], ADMIN, 3)
    assert len(hits) == 3
    assert found == 7


def test_health_check(index: TypesenseIndex) -> None:
    index.check()


# -- errors ------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_wrong_key_a_dead_server_and_a_silent_one_are_dependency_unavailable(
    typesense: TypesenseServer, index: TypesenseIndex
) -> None:
    wrong = TypesenseIndex(typesense.url, "not-the-key", index.collection)
    for attempt in (
        lambda: wrong.upsert([doc(title="x")]),
        lambda: wrong.search("x", ["course"], ADMIN, 5),
        lambda: wrong.delete([("course", uuid.uuid4())]),
        lambda: wrong.ensure_schema({}),
    ):
        with pytest.raises(DependencyUnavailable) as refused:
            attempt()
        assert "401" in refused.value.reason

    dead = TypesenseIndex(f"http://127.0.0.1:{_closed_port()}", "k", index.collection)
    with pytest.raises(DependencyUnavailable) as unreachable:
        dead.check()
    assert "ConnectError" in unreachable.value.reason

    # Accepts the connection (the kernel does) and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        slow = TypesenseIndex(
            f"http://127.0.0.1:{port}", "k", index.collection, timeout_seconds=0.3
        )
        with pytest.raises(DependencyUnavailable) as timed_out:
            slow.search("x", ["course"], ADMIN, 5)
        assert "ReadTimeout" in timed_out.value.reason
        slow.close()


# -- the search-only key -----------------------------------------------------------------------


def _keys_with_prefix(index: TypesenseIndex, value: str) -> list[dict[str, Any]]:
    listed = index.client.get("/keys").json()["keys"]
    return [k for k in listed if k["value_prefix"] == value[:4]]


def test_the_search_key_may_search_its_collection_and_nothing_else(
    typesense: TypesenseServer, index: TypesenseIndex
) -> None:
    value = new_search_key()
    index.ensure_search_key(value)
    index.ensure_search_key(value)  # again: nothing changes
    [key] = _keys_with_prefix(index, value)
    assert key["actions"] == list(SEARCH_KEY_ACTIONS) == ["documents:search"]
    assert key["collections"] == [index.collection]
    assert key["description"] == search_key_description(index.collection)

    heart = doc(title="Heart valves")
    index.upsert([heart])
    searcher = TypesenseIndex(typesense.url, value, index.collection)
    assert [h.id for h in searcher.search("heart", ["course"], Viewer(), 10)[0]] == [heart.id]

    for attempt in (
        lambda: searcher.upsert([doc(title="Planted")]),
        lambda: searcher.delete([heart.key]),
        lambda: searcher.ensure_schema({"hart": "heart"}),
        lambda: searcher.ensure_search_key(new_search_key()),
    ):
        with pytest.raises(DependencyUnavailable) as refused:
            attempt()
        assert "401" in refused.value.reason
    assert set(stored(index)) == {heart.doc_id}
    assert synonyms_of(index) == {"typo-mitosys": {"root": "mitosys", "synonyms": ["mitosis"]}}
    assert len(_keys_with_prefix(index, value)) == 1

    other = TypesenseIndex(typesense.url, typesense.api_key, new_collection())
    try:
        other.ensure_schema({})
        other.upsert([doc(title="Heart elsewhere")])
        elsewhere = TypesenseIndex(typesense.url, value, other.collection)
        with pytest.raises(DependencyUnavailable) as refused:
            elsewhere.search("heart", ["course"], Viewer(), 10)
        assert "401" in refused.value.reason
    finally:
        drop_collection(typesense, other.collection)


def test_a_search_key_of_another_collection_is_rescoped(
    typesense: TypesenseServer, index: TypesenseIndex
) -> None:
    value = new_search_key()
    before = TypesenseIndex(typesense.url, typesense.api_key, new_collection())
    try:
        before.ensure_search_key(value)  # the collection it served until a rename
        index.ensure_search_key(value)
        [key] = _keys_with_prefix(index, value)
        assert key["collections"] == [index.collection]
        index.upsert([doc(title="Rescoped")])
        searcher = TypesenseIndex(typesense.url, value, index.collection)
        assert searcher.search("rescoped", ["course"], Viewer(), 5)[1] == 1
    finally:
        drop_collection(typesense, before.collection)


def test_a_key_that_may_not_be_ours_is_never_deleted(
    typesense: TypesenseServer, index: TypesenseIndex
) -> None:
    """Typesense shows four characters of a key: with two keys behind the same four
    (another stage's, say), which one holds the value is unknown, so neither is touched."""
    value = new_search_key()
    neighbour = new_search_key(prefix=value[:4])
    other = TypesenseIndex(typesense.url, typesense.api_key, new_collection())
    try:
        other.ensure_search_key(value)
        other.ensure_search_key(neighbour)
        with pytest.raises(ValueError, match="registered in Typesense with another scope"):
            index.ensure_search_key(value)
        keys = _keys_with_prefix(index, value)
        assert [k["collections"] for k in keys] == [[other.collection]] * 2
    finally:
        drop_collection(typesense, other.collection)


def test_the_migrate_function_registers_the_search_key_that_searches_and_health_use(
    typesense: TypesenseServer,
    typesense_collection: str,
    settings_env: pytest.MonkeyPatch,
    db: Session,
) -> None:
    from lectern.db.migrations import REPO_MIGRATIONS
    from lectern.health import run_checks
    from lectern.search.factory import get_index, get_search_index
    from local.functions import load_module

    value = new_search_key()
    settings_env.setenv("LECTERN_SEARCH_BACKEND", "typesense")
    settings_env.setenv("LECTERN_TYPESENSE_COLLECTION", typesense_collection)
    settings_env.setenv("LECTERN_TYPESENSE_SEARCH_API_KEY", value)
    reset_clients()
    migrate = load_module("migrate", "handler.py")
    settings_env.setattr(migrate, "SCRIPT_LOCATION", REPO_MIGRATIONS)
    report = migrate.handler({}, None)
    assert report["typesense_search_key"] == "registered"

    writer, reader = get_index(db), get_search_index(db)
    assert isinstance(writer, TypesenseIndex) and isinstance(reader, TypesenseIndex)
    assert reader.client.headers["x-typesense-api-key"] == value
    writer.ensure_schema({})
    valve = doc(title="Valve")
    assert writer.upsert([valve]) == {}
    assert [h.id for h in reader.search("valve", ["course"], Viewer(), 5)[0]] == [valve.id]
    with pytest.raises(DependencyUnavailable):
        reader.upsert([doc(title="Not through this key")])
    health = run_checks()
    assert health["checks"]["search"] == "ok"
    assert health["search_backend"] == "typesense"


def test_the_search_key_must_not_be_the_admin_key(
    typesense: TypesenseServer, settings_env: pytest.MonkeyPatch
) -> None:
    from lectern.search.factory import ensure_search_key

    settings_env.setenv("LECTERN_SEARCH_BACKEND", "typesense")
    settings_env.setenv("LECTERN_TYPESENSE_SEARCH_API_KEY", typesense.api_key)
    reset_clients()
    with pytest.raises(ValueError, match="must not be the admin key"):
        ensure_search_key()


# -- the outbox through the real server ----------------------------------------------------------


def _differences(db: Session, index: TypesenseIndex, keys: set[Key]) -> dict[str, Any]:
    """Entries of these objects that differ between the database and the index."""
    db.rollback()
    docs, _gone = entries.load(db, keys)
    expected = {d.doc_id: document(d) for d in docs}
    held = stored(index)
    mine = {doc_id(t, i) for t, i in keys}
    actual = {k: v for k, v in held.items() if k in mine}
    return {
        k: (expected.get(k), actual.get(k))
        for k in expected.keys() | actual.keys()
        if expected.get(k) != actual.get(k)
    }


def test_drain_into_typesense_leaves_the_index_equal_to_the_database(
    db: Session, adapter: TypesenseIndex
) -> None:
    mix = WriteMix(db, [make_account(db, "instructor") for _ in range(2)], random.Random(7))
    for _ in range(150):
        mix.step()
    result = sync.run(index_factory=lambda _db: adapter, send=lambda _b: None)
    assert result["search"]["stopped"] == "empty", result
    assert result["search"]["failed"] == 0
    assert _differences(db, adapter, mix.every_key) == {}
    docs, gone = entries.load(db, mix.every_key)
    assert len(docs) > 30 and gone
    # The run pushed the database's synonyms too.
    assert {s["root"]: s["synonyms"] for s in synonyms_of(adapter).values()} == {
        term: [replacement] for term, replacement in sync.synonyms(db).items()
    }


def test_a_reindex_replays_every_object_into_an_empty_collection(
    db: Session, adapter: TypesenseIndex
) -> None:
    mix = WriteMix(db, [make_account(db, "instructor")], random.Random(11))
    for _ in range(40):
        mix.step()
    enqueue_everything(db)
    db.commit()
    adapter.ensure_schema(sync.synonyms(db))
    report = sync.drain("search", index_factory=lambda _db: adapter)
    assert report.stopped == "empty" and report.failed == 0
    db.rollback()
    everything: set[Key] = set()
    for searchable in get_registry().searchable.values():
        ids = db.scalars(text(f"SELECT id FROM {searchable.table}"))  # noqa: S608 - registered
        everything |= {(searchable.name, i) for i in ids}
    assert _differences(db, adapter, everything) == {}
    live = {d.doc_id for d in entries.load(db, everything)[0]}
    assert {d.doc_id for d in entries.load(db, mix.every_key)[0]} <= live
    assert set(stored(adapter)) == live


@dataclass
class ImportWatch:
    """Kills the server as the drain sends its ``kill_at``-th import, and notes every
    document an import answered with success."""

    server: TypesenseServer
    kill_at: int
    imports: int = 0
    acknowledged: set[str] = field(default_factory=set)

    def on_request(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/documents/import"):
            self.imports += 1
            if self.imports == self.kill_at:
                self.server.kill()

    def on_response(self, response: httpx.Response) -> None:
        if not response.request.url.path.endswith("/documents/import"):
            return
        response.read()
        lines = response.request.content.decode().split("\n")
        results = [json.loads(r) for r in response.text.split("\n") if r.strip()]
        for line, result in zip(lines, results, strict=True):
            if result.get("success"):
                self.acknowledged.add(json.loads(line)["id"])


@pytest.fixture
def own_server(typesense: TypesenseServer) -> Iterator[TypesenseServer]:
    """A server of this test's own: it gets killed."""
    server = TypesenseServer("outage-test-admin-key")
    server.start()
    yield server
    server.stop()


def test_a_server_killed_mid_drain_and_restarted_ends_with_no_difference(
    db: Session, own_server: TypesenseServer
) -> None:
    """The server dies (SIGKILL) on the drain's third import; writes go on while it is
    down and drains keep failing without losing a row; once it is back, what it had
    acknowledged is still there, and one run leaves no difference from the database."""
    clock = FakeClock(datetime.now(UTC) + timedelta(hours=1))
    mix = WriteMix(db, [make_account(db, "instructor") for _ in range(3)], random.Random(4))
    for _ in range(250):
        mix.step()
    index = TypesenseIndex(own_server.url, own_server.api_key, "lectern", timeout_seconds=2.0)
    index.ensure_schema(sync.synonyms(db))

    watch = ImportWatch(own_server, kill_at=3)
    index.client.event_hooks["request"].append(watch.on_request)
    index.client.event_hooks["response"].append(watch.on_response)

    def drain() -> sync.DrainReport:
        return sync.drain("search", index_factory=lambda _db: index, clock=clock, batch_size=25)

    def my_rows() -> set[int]:
        db.rollback()
        ids = [i for _t, i in mix.every_key]
        return set(db.scalars(select(OutboxEntry.id).where(OutboxEntry.entity_id.in_(ids))))

    report = drain()
    assert report.stopped == "unavailable"
    assert watch.imports == 3 and report.done > 0 and watch.acknowledged
    assert not own_server.running

    for n in range(150):
        mix.step()
        if n % 50 == 49:
            kept = my_rows()
            clock.advance(sync.BACKOFF_CAP_SECONDS)
            down = drain()
            assert down.stopped == "unavailable" and down.done == 0
            assert kept <= my_rows(), "a row was lost while the server was down"

    own_server.restart()
    assert watch.acknowledged <= set(stored(index)), "the server lost what it acknowledged"
    clock.advance(sync.BACKOFF_CAP_SECONDS + 60)
    result = sync.run(index_factory=lambda _db: index, send=lambda _b: None, clock=clock)
    assert result["search"]["stopped"] == "empty", result
    assert result["search"]["failed"] == 0
    assert my_rows() == set()
    assert _differences(db, index, mix.every_key) == {}
    docs, gone = entries.load(db, mix.every_key)
    assert len(docs) > 60 and len(gone) > 10
    index.close()

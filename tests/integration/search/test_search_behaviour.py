"""One table, both adapters: for the same entries, Postgres full-text and the real
Typesense find the same things for typos, prefixes, synonyms and every-word queries, and
keep the same visibility rules.

Each adapter gets the database's synonyms as the drain gives them (Postgres reads the
table at query time; Typesense has them pushed by ``ensure_schema``). Every query holds
a word of the test's own, so Postgres' shared table shows only this test's entries.
"""

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.search import sync
from lectern.search.port import IndexDoc, SearchIndex, Viewer
from lectern.search.postgres import PostgresIndex
from lectern.search.typesense import TypesenseIndex
from local.typesense_server import TypesenseServer
from tests.conftest import drop_collection, new_collection
from tests.integration.search.spec import assert_visibility, doc, visibility_entries, word

ADMIN = Viewer(user_id=uuid.uuid4(), is_admin=True)


@dataclass
class Adapter:
    """An index with a way to add entries, and to take them out again afterwards."""

    name: str
    index: SearchIndex
    db: Session
    written: list[IndexDoc]

    def add(self, docs: Sequence[IndexDoc]) -> None:
        assert self.index.upsert(docs) == {}
        self.written.extend(docs)
        self.db.commit()

    def found(self, query: str, viewer: Viewer = ADMIN, types: Sequence[str] = ("course",)) -> list:
        hits, found = self.index.search(query, list(types), viewer, 50)
        assert found == len(hits)
        return [h.id for h in hits]


@pytest.fixture(params=["postgres", "typesense"])
def adapter(request: pytest.FixtureRequest, db: Session) -> Iterator[Adapter]:
    written: list[IndexDoc] = []
    if request.param == "postgres":
        postgres = PostgresIndex(db)
        yield Adapter("postgres", postgres, db, written)
        db.rollback()
        postgres.delete([d.key for d in written])
        db.commit()
        return
    server: TypesenseServer = request.getfixturevalue("typesense")
    typesense = TypesenseIndex(server.url, server.api_key, new_collection())
    typesense.ensure_schema(sync.synonyms(db))
    db.rollback()
    try:
        yield Adapter("typesense", typesense, db, written)
    finally:
        typesense.close()
        drop_collection(server, typesense.collection)


# The entries every case searches, by name; "{w}" is the test's own word.
ENTRIES = {
    "mitosis": ("{w} Mitosis stages", "Prophase, metaphase and anaphase"),
    "cycle": ("{w} Cell cycle", "Interphase comes before mitosis"),
    "mitochondria": ("{w} Mitochondria", "The powerhouse of the cell"),
    "protein": ("{w} Protein folding", "Chains of amino acids"),
    "membrane": ("{w} Plasma membrane", "A lipid bilayer around it"),
}

# (what it shows, query, the entries found; in this order when ``ordered``).
CASES = [
    ("a whole word", "{w} mitosis", ["mitosis", "cycle"], False),
    ("a word in a title or a body", "{w} cell", ["cycle", "mitochondria"], False),
    ("a title match ranks above a body match", "{w} mitosis", ["mitosis", "cycle"], True),
    ("typo tolerance: a listed typo", "{w} mitosys", ["mitosis", "cycle"], True),
    ("typo tolerance: another listed typo", "{w} protien", ["protein"], False),
    ("synonyms: a listed spelling of a word", "{w} membrain", ["membrane"], False),
    ("synonyms: in any case", "{w} Mitosys", ["mitosis", "cycle"], True),
    ("prefix: the last word being typed", "{w} mito", ["mitosis", "cycle", "mitochondria"], False),
    ("prefix: a longer one", "{w} mitoch", ["mitochondria"], False),
    ("prefix: only the last word is one", "{w} mito cell", [], False),
    ("prefix: the test word itself", "{w_head}", list(ENTRIES), False),
    ("every word must match", "{w} protein acids", ["protein"], False),
    ("words that never meet find nothing", "{w} protein lipid", [], False),
    ("a word no entry holds", "{w} photosynthesis", [], False),
]


@pytest.fixture
def table(adapter: Adapter) -> tuple[Adapter, str, dict[uuid.UUID, str]]:
    w = word()
    made = {name: doc(title=t.format(w=w), body=b) for name, (t, b) in ENTRIES.items()}
    adapter.add(list(made.values()))
    return adapter, w, {d.id: name for name, d in made.items()}


@pytest.mark.parametrize(
    ("shows", "query", "expected", "ordered"), CASES, ids=[c[0] for c in CASES]
)
def test_both_adapters_find_the_same(
    table: tuple[Adapter, str, dict[uuid.UUID, str]],
    shows: str,
    query: str,
    expected: list[str],
    ordered: bool,
) -> None:
    adapter, w, names = table
    found = [names[i] for i in adapter.found(query.format(w=w, w_head=w[:-3]))]
    if ordered:
        assert found == expected, f"{adapter.name}: {shows}"
    else:
        assert sorted(found) == sorted(expected), f"{adapter.name}: {shows}"


def test_a_synonym_added_to_the_table_reaches_both(adapter: Adapter, db: Session) -> None:
    w = word()
    entry = doc(title=f"{w} Stages of mitosis", body="Prophase first.")
    adapter.add([entry])
    db.execute(text("INSERT INTO search_synonyms VALUES ('firstphase', 'prophase')"))
    db.commit()
    # Too far from "prophase" for Typesense's own typo tolerance: only the synonym finds it.
    try:
        # Typesense has it at the drain's next ensure_schema; Postgres at once.
        adapter.index.ensure_schema(sync.synonyms(db))
        assert adapter.found(f"{w} firstphase") == [entry.id]
    finally:
        db.execute(text("DELETE FROM search_synonyms WHERE term = 'firstphase'"))
        db.commit()
        adapter.index.ensure_schema(sync.synonyms(db))
    assert adapter.found(f"{w} firstphase") == []


def test_visibility_rules(adapter: Adapter) -> None:
    w = word()
    me, other, enrolled_course = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    entries = visibility_entries(w, me, other, enrolled_course)
    adapter.add(list(entries.values()))
    assert_visibility(
        adapter.index, w, entries, me=me, other=other, enrolled_course=enrolled_course
    )


def test_typesense_also_forgives_typos_no_one_listed(typesense: TypesenseServer, db: Session):
    """Where they part: Typesense corrects any typo of one or two letters; Postgres only
    the ones in the synonyms table."""
    w = word()
    entry = doc(title=f"{w} Mitochondria", body="The powerhouse")
    index = TypesenseIndex(typesense.url, typesense.api_key, new_collection())
    try:
        index.ensure_schema(sync.synonyms(db))
        index.upsert([entry])
        assert [h.id for h in index.search(f"{w} mitochndria", ["course"], ADMIN, 5)[0]] == [
            entry.id
        ]
    finally:
        drop_collection(typesense, index.collection)
    postgres = PostgresIndex(db)
    postgres.upsert([entry])
    db.commit()
    try:
        assert postgres.search(f"{w} mitochndria", ["course"], ADMIN, 5) == ([], 0)
    finally:
        postgres.delete([entry.key])
        db.commit()

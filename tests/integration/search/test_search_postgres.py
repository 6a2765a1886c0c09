"""The Postgres full-text adapter against the real Postgres: matching (websearch syntax,
prefixes, typo synonyms), ranking, snippets, visibility, and use of the GIN index."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, event, text
from sqlalchemy.orm import Session

from lectern.search.models import SearchEntry
from lectern.search.port import IndexDoc, Viewer
from lectern.search.postgres import PostgresIndex
from tests.integration.search.spec import doc, word


@pytest.fixture
def index(db: Session) -> Iterator[PostgresIndex]:
    written: list[IndexDoc] = []
    adapter = PostgresIndex(db)
    original = adapter.upsert

    def upsert(docs: Any) -> Any:
        written.extend(docs)
        return original(docs)

    adapter.upsert = upsert  # type: ignore[method-assign]
    yield adapter
    db.rollback()
    adapter.delete([d.key for d in written])
    db.commit()


ADMIN = Viewer(user_id=uuid.uuid4(), is_admin=True)


def ids(hits: Any) -> list[uuid.UUID]:
    return [h.id for h in hits]


def test_upsert_then_search_finds_title_before_body(index: PostgresIndex, db: Session) -> None:
    w = word()
    in_body = doc(title="Cells", body=f"All about {w} in detail.")
    in_title = doc(title=f"{w} explained", body="Nothing else.")
    assert index.upsert([in_body, in_title]) == {}
    db.commit()
    hits, found = index.search(w, ["course"], ADMIN, 10)
    assert found == 2
    assert ids(hits) == [in_title.id, in_body.id]
    assert hits[0].score > hits[1].score > 0
    assert hits[0].title == f"{w} explained"


def test_upsert_replaces_and_delete_removes(index: PostgresIndex, db: Session) -> None:
    w, w2 = word(), word()
    entry = doc(title=f"{w} first")
    index.upsert([entry])
    changed = IndexDoc(**{**entry.__dict__, "title": f"{w2} second"})
    index.upsert([changed, changed])  # duplicates in one call are one entry
    db.commit()
    assert index.search(w, ["course"], ADMIN, 10) == ([], 0)
    assert ids(index.search(w2, ["course"], ADMIN, 10)[0]) == [entry.id]
    index.delete([entry.key, ("lesson", uuid.uuid4())])  # an unknown key is no error
    db.commit()
    assert index.search(w2, ["course"], ADMIN, 10) == ([], 0)


def test_websearch_syntax_phrases_exclusion_and_or(index: PostgresIndex, db: Session) -> None:
    w = word()
    red_blood = doc(title=f"{w} red blood cells")
    blood_red = doc(title=f"{w} blood that is red")
    plant = doc(title=f"{w} plant cells")
    index.upsert([red_blood, blood_red, plant])
    db.commit()

    def found(q: str) -> set[uuid.UUID]:
        return set(ids(index.search(q, ["course"], ADMIN, 10)[0]))

    assert found(f'{w} "red blood"') == {red_blood.id}
    assert found(f"{w} -plant ") == {red_blood.id, blood_red.id}
    assert found(f"{w} plant or blood ") == {red_blood.id, blood_red.id, plant.id}
    # Stemming: "cell" finds "cells".
    assert found(f"{w} cell ") == {red_blood.id, plant.id}


def test_the_last_word_matches_as_a_prefix(index: PostgresIndex, db: Session) -> None:
    w = word()
    mito = doc(title=f"{w} mitochondria")
    index.upsert([mito])
    db.commit()
    assert ids(index.search(f"{w} mitoch", ["course"], ADMIN, 10)[0]) == [mito.id]
    assert ids(index.search(w[:-3], ["course"], ADMIN, 10)[0]) == [mito.id]
    # Once the word is finished (a space typed), it must match whole.
    assert index.search(f"{w} mitoch ", ["course"], ADMIN, 10) == ([], 0)


def test_common_typos_are_rewritten_through_the_synonyms_table(
    index: PostgresIndex, db: Session
) -> None:
    w = word()
    entry = doc(title=f"{w} stages of mitosis", body="Prophase, metaphase, anaphase.")
    index.upsert([entry])
    db.commit()
    # "mitosys" is one of the migration's synonyms.
    assert ids(index.search(f"{w} Mitosys ", ["course"], ADMIN, 10)[0]) == [entry.id]
    db.execute(text("INSERT INTO search_synonyms VALUES ('prophaze', 'prophase')"))
    try:
        assert ids(index.search(f"{w} prophaze", ["course"], ADMIN, 10)[0]) == [entry.id]
    finally:
        db.execute(text("DELETE FROM search_synonyms WHERE term = 'prophaze'"))
        db.commit()


def test_snippets_mark_the_match_and_escape_the_text(index: PostgresIndex, db: Session) -> None:
    w = word()
    entry = doc(
        title="Markup",
        body=f"Intro words here. The <script>x</script> {w} & friends are the topic today.",
    )
    index.upsert([entry])
    db.commit()
    [hit], _ = index.search(w, ["course"], ADMIN, 10)
    assert f"<mark>{w}</mark>" in hit.snippet
    assert "<script>" not in hit.snippet
    assert "&amp;" in hit.snippet


def test_limit_and_found(index: PostgresIndex, db: Session) -> None:
    w = word()
    index.upsert([doc(title=f"{w} number {i}") for i in range(7)])
    db.commit()
    hits, found = index.search(w, ["course"], ADMIN, 3)
    assert len(hits) == 3
    assert found == 7


def test_a_refused_entry_fails_alone(index: PostgresIndex, db: Session) -> None:
    w = word()
    good = doc(title=f"{w} good")
    bad = doc(title=f"{w} bad\x00")  # Postgres text cannot hold NUL
    refused = index.upsert([good, bad])
    db.commit()
    assert set(refused) == {bad.key}
    assert ids(index.search(w, ["course"], ADMIN, 10)[0]) == [good.id]


def test_search_uses_the_gin_index_at_volume(db: Session) -> None:
    """With 20,000 entries, the match is a bitmap scan of the GIN index on ``document``."""
    owner = uuid.uuid4()
    db.execute(
        text(
            """
            INSERT INTO search_entries
                (entity_type, entity_id, title, body, course_id, owner_id, published)
            SELECT 'lesson', gen_random_uuid(), 'Lesson ' || g,
                   (ARRAY['cell', 'membrane', 'enzyme', 'protein', 'nucleus'])[1 + mod(g, 5)]
                   || ' topic number ' || g || ' of many words',
                   gen_random_uuid(), :owner, true
            FROM generate_series(1, 20000) AS g
            """
        ),
        {"owner": owner},
    )
    db.commit()
    try:
        # Fresh rows sit in the GIN pending list (scanned linearly by every query) until
        # a vacuum merges them; merge now, as autovacuum would, to plan the steady state.
        db.execute(text("SELECT gin_clean_pending_list('ix_search_entries_document')"))
        db.execute(text("ANALYZE search_entries"))
        seen: list[tuple[str, Any]] = []

        def record(_c: Any, _cur: Any, statement: str, params: Any, *_a: Any) -> None:
            seen.append((statement, params))

        engine = db.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            PostgresIndex(db).search("enzyme prot", ["lesson"], Viewer(user_id=owner), 20)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        statement, params = next((s, p) for s, p in seen if "ts_rank_cd" in s)
        cursor = db.connection().connection.cursor()
        cursor.execute("EXPLAIN " + statement, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "ix_search_entries_document" in plan, plan
        assert "Seq Scan on search_entries" not in plan, plan
    finally:
        db.rollback()
        db.execute(delete(SearchEntry).where(SearchEntry.owner_id == owner))
        db.commit()

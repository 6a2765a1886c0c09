"""Embedding models: registered once, each with its own HNSW index that searches use."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.core.registry import get_registry
from lectern.db.engine import get_engine
from lectern.db.migrations import include_object
from lectern.embeddings.local import LocalEmbedder
from lectern.embeddings.port import vector_literal
from lectern.embeddings.registry import (
    embedding_expression,
    ensure_model,
    forget_models,
    index_name,
)
from tests.factories import make_account, make_course


class Sized(LocalEmbedder):
    """The local embedder under another name, as a second provider model would be."""

    def __init__(self, name: str, dimensions: int) -> None:
        super().__init__(dimensions)
        self.name = name


def _index_definition(db: Session, model_id: int) -> str | None:
    return db.scalar(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": index_name(model_id)}
    )


def test_a_model_is_registered_once_with_a_partial_hnsw_index(db: Session):
    embedder = Sized("registry-test-48", 48)
    model_id = ensure_model(embedder)
    forget_models()  # a new container: the database, not the cache, answers
    assert ensure_model(embedder) == model_id
    rows = db.execute(
        text("SELECT provider, dimensions FROM embedding_models WHERE name = :n"),
        {"n": embedder.name},
    ).all()
    assert [tuple(r) for r in rows] == [("local", 48)]
    definition = _index_definition(db, model_id)
    assert definition is not None
    assert "hnsw" in definition
    assert "vector(48)" in definition
    assert "vector_cosine_ops" in definition
    assert f"model_id = {model_id}" in definition


def test_the_same_name_with_other_dimensions_is_refused():
    ensure_model(Sized("registry-test-dims", 32))
    forget_models()
    with pytest.raises(ValueError, match="other dimensions"):
        ensure_model(Sized("registry-test-dims", 64))


def test_model_indexes_are_not_schema_drift(db: Session):
    ensure_model(Sized("registry-test-drift", 24))
    with get_engine().connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, get_registry().metadata())
    assert diff == [], diff


def test_a_nearest_neighbour_query_walks_the_model_index(db: Session):
    embedder = Sized("registry-test-walk", 64)
    model_id = ensure_model(embedder)
    owner = make_account(db, "instructor")
    course, lessons = make_course(db, owner, lessons=1)
    texts = [f"chunk {i} about topic {i % 7}" for i in range(300)]
    db.execute(
        text(
            "INSERT INTO chunks (id, source_type, lesson_id, course_id, position, content,"
            " token_count, source_version, model_id, embedding)"
            " SELECT gen_random_uuid(), 'lesson', :lesson, :course, p - 1, c, 5, 'v1', :model,"
            " CAST(v AS vector) FROM unnest(CAST(:contents AS text[]), CAST(:vectors AS text[]))"
            " WITH ORDINALITY AS t(c, v, p)"
        ),
        {
            "lesson": lessons[0].id,
            "course": course.id,
            "model": model_id,
            "contents": texts,
            "vectors": [vector_literal(v) for v in embedder.embed(texts)],
        },
    )
    db.execute(text("ANALYZE chunks"))
    # At 300 rows a sort is cheaper; the test is that the planner can use the index.
    db.execute(text("SET LOCAL enable_seqscan = off"))
    db.execute(text("SET LOCAL enable_bitmapscan = off"))
    db.execute(text("SET LOCAL enable_sort = off"))
    query = vector_literal(embedder.embed(["topic 3"])[0])
    # The model id is an integer from the database; a literal lets the partial index match.
    sql = (
        f"EXPLAIN SELECT id FROM chunks WHERE model_id = {model_id}"  # noqa: S608
        f" ORDER BY {embedding_expression(64)} <=> CAST(:q AS vector(64)) LIMIT 10"
    )
    plan = "\n".join(db.scalars(text(sql), {"q": query}))
    db.rollback()
    assert index_name(model_id) in plan

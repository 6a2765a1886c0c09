"""Semantic search: the chunks nearest a query among those the caller may see.

Visible chunks are the caller's own document chunks (documents are private, even from
admins), and the lesson chunks and lesson resources' chunks (documents attached to a
lesson, ``lesson_resources``) of courses whose lessons the caller may read, as
``lectern.catalog.access`` decides: the owner, an admin, or a learner enrolled in the
published course.

The search uses the embedding model's own HNSW index (a partial expression index, see
``lectern.embeddings.registry``): the model id is a literal in the SQL so the planner can
match the index's predicate. The visibility filter is applied to the tuples the index
hands up, so with pgvector's default single pass a selective filter starves the result
(ef_search candidates, most of them someone else's); pgvector 0.8's iterative scan keeps
walking the graph until k rows pass. Relaxed order is the faster mode and a materialized
CTE puts its few out-of-order rows back in order, as pgvector's README shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, text, union
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from lectern.catalog import access
from lectern.catalog.models import Course
from lectern.core.principal import Principal, UserRole
from lectern.documents.sources import ChunkSource
from lectern.embeddings.factory import get_embedder
from lectern.embeddings.port import vector_literal
from lectern.embeddings.registry import embedding_expression, ensure_model
from lectern.progress.models import Enrollment

# Candidates per pass of the HNSW scan (pgvector's default is 40), and at least twice k.
# At 100,000 chunks (bench/semantic_search.py) 100 over 40 took recall@10 from 0.98-0.999
# to 0.999-1.0 for about a millisecond more: nothing beside the query's embedding call.
MIN_EF_SEARCH = 100
# Tuples an iterative scan may visit before it gives up (pgvector's default): bounds the
# cost of a filter that almost nothing passes.
MAX_SCAN_TUPLES = 20_000


@dataclass(frozen=True)
class Hit:
    chunk_id: uuid.UUID
    source_type: ChunkSource
    source_id: uuid.UUID
    content: str
    score: float


def lesson_course_ids(db: Session, principal: Principal) -> list[uuid.UUID] | None:
    """Courses whose lessons the caller may read; None means every course (an admin)."""
    if principal.role == UserRole.admin:
        return None
    owned = select(Course.id).where(Course.owner_id == principal.user_id)
    enrolled = (
        select(Enrollment.course_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == principal.user_id, Course.published_at.is_not(None))
    )
    return list(db.scalars(union(owned, enrolled)))


def ef_search(k: int) -> int:
    return max(MIN_EF_SEARCH, 2 * k)


def configure_scan(db: Session | Connection, k: int, *, iterative: bool = True) -> None:
    """Index-scan settings for the current transaction only (one round trip)."""
    db.execute(
        text(
            "SELECT set_config('hnsw.ef_search', :ef, true),"
            " set_config('hnsw.iterative_scan', :mode, true),"
            " set_config('hnsw.max_scan_tuples', :max_tuples, true)"
        ),
        {
            "ef": str(ef_search(k)),
            "mode": "relaxed_order" if iterative else "off",
            "max_tuples": str(MAX_SCAN_TUPLES),
        },
    )


def nearest_sql(model_id: int, dimensions: int, visibility: str) -> str:
    """The k-nearest query over one model's index, with a visibility filter.

    ``visibility`` is SQL made here from fixed text and bound parameters, never input.
    """
    expression = embedding_expression(dimensions)
    return (
        "WITH relaxed AS MATERIALIZED ("  # noqa: S608 - fixed clauses; values are bound
        " SELECT id, source_type, COALESCE(document_id, lesson_id) AS source_id, content,"
        f" {expression} <=> CAST(:query AS vector({int(dimensions)})) AS distance"
        f" FROM chunks WHERE model_id = {int(model_id)} AND ({visibility})"
        " ORDER BY distance LIMIT :k"
        ") SELECT id, source_type, source_id, content, distance FROM relaxed"
        " ORDER BY distance, id"
    )


# A lesson resource's chunks are a document's, visible with the lessons of its course:
# the subquery reads the attachments as they are now, so a detached resource or a
# learner who left the course stops seeing them at the next search.
_RESOURCE_ANY = (
    "(source_type = 'document' AND document_id IN (SELECT document_id FROM lesson_resources))"
)
_RESOURCE_IN = (
    "(source_type = 'document' AND document_id IN"
    " (SELECT document_id FROM lesson_resources WHERE course_id = ANY(:courses)))"
)
_RESOURCE_OF_COURSE = (
    "(source_type = 'document' AND document_id IN"
    " (SELECT document_id FROM lesson_resources WHERE course_id = :course_id))"
)


def _visibility(
    db: Session, principal: Principal, course_id: uuid.UUID | None
) -> tuple[str, dict[str, object]]:
    params: dict[str, object] = {"me": principal.user_id}
    own = "(source_type = 'document' AND owner_id = :me)"
    courses = lesson_course_ids(db, principal)
    if course_id is not None:
        params["course_id"] = course_id
        clauses = [f"({own} AND course_id = :course_id)"]
        if courses is None or course_id in courses:
            clauses += ["(source_type = 'lesson' AND course_id = :course_id)", _RESOURCE_OF_COURSE]
        return " OR ".join(clauses), params
    clauses = [own]
    if courses is None:
        clauses += ["source_type = 'lesson'", _RESOURCE_ANY]
    elif courses:
        clauses += ["(source_type = 'lesson' AND course_id = ANY(:courses))", _RESOURCE_IN]
        params["courses"] = courses
    return " OR ".join(clauses), params


def search_chunks(
    db: Session,
    principal: Principal,
    query: str,
    *,
    k: int,
    course_id: uuid.UUID | None = None,
    iterative: bool = True,
    vector: Sequence[float] | None = None,
) -> list[Hit]:
    """The k visible chunks nearest ``query``, best first.

    ``course_id`` limits the search to one course, which the caller must be able to see
    (else NotFound). ``iterative=False`` is pgvector's single pass, for benches and for
    the test that shows what iterative scans prevent. ``vector`` is the query already
    embedded by the configured embedder (a conversation blends it with what came before).
    """
    embedder = get_embedder()
    # Before the session takes its connection: the registry may need one of its own.
    model_id = ensure_model(embedder)
    if vector is None:
        [vector] = embedder.embed([query])
    if course_id is not None:
        access.course_for_view(db, principal, course_id)
    visibility, params = _visibility(db, principal, course_id)
    configure_scan(db, k, iterative=iterative)
    rows = db.execute(
        text(nearest_sql(model_id, embedder.dimensions, visibility)),
        {**params, "query": vector_literal(vector), "k": k},
    ).all()
    return [
        Hit(
            chunk_id=row.id,
            source_type=ChunkSource(row.source_type),
            source_id=row.source_id,
            content=row.content,
            score=1.0 - float(row.distance),
        )
        for row in rows
    ]

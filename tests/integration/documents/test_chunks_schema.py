"""What happens to chunks when their course or lesson goes."""

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from lectern.catalog.models import Course
from lectern.documents.models import Chunk, ChunkSource, Document, DocumentStatus
from lectern.embeddings.local import LocalEmbedder
from lectern.embeddings.registry import ensure_model
from tests.factories import make_account, make_course


def _chunk(embedder: LocalEmbedder, model_id: int, **source: object) -> Chunk:
    return Chunk(
        position=0,
        content="Cells divide by mitosis.",
        token_count=5,
        source_version="v1",
        model_id=model_id,
        embedding=embedder.embed(["Cells divide by mitosis."])[0],
        **source,
    )


def test_deleting_a_course_keeps_its_documents_chunks_and_drops_its_lessons(db: Session):
    embedder = LocalEmbedder(16)
    model_id = ensure_model(embedder)
    owner = make_account(db, "instructor")
    course, [lesson] = make_course(db, owner, lessons=1)
    document = Document(
        owner_id=owner.id,
        course_id=course.id,
        filename="notes.txt",
        content_type="text/plain",
        size_bytes=24,
        object_key=f"documents/{owner.id}/{course.id}",
        status=DocumentStatus.ready,
    )
    db.add(document)
    db.flush()
    document_chunk = _chunk(
        embedder,
        model_id,
        source_type=ChunkSource.document,
        document_id=document.id,
        owner_id=owner.id,
        course_id=course.id,
    )
    lesson_chunk = _chunk(
        embedder,
        model_id,
        source_type=ChunkSource.lesson,
        lesson_id=lesson.id,
        course_id=course.id,
    )
    db.add_all([document_chunk, lesson_chunk])
    db.commit()

    db.execute(delete(Course).where(Course.id == course.id))
    db.commit()

    rows = db.execute(
        select(Chunk.id, Chunk.course_id).where(Chunk.id.in_([document_chunk.id, lesson_chunk.id]))
    ).all()
    assert [tuple(r) for r in rows] == [(document_chunk.id, None)]
    assert db.scalar(
        text("SELECT course_id IS NULL FROM documents WHERE id = :id"), {"id": document.id}
    )

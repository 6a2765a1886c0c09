"""Lesson resources: attached by the course's owner from their own ready documents, read
by the course's enrolled learners, and their chunks in those learners' semantic search
and asks, for exactly as long as both hold."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_account, make_course
from tests.integration.ai.test_semantic_search import add_document_chunks, tag


def _search(db: Session, who, query: str, **kwargs):  # type: ignore[no-untyped-def]
    from lectern.ai import retrieval

    hits = retrieval.search_chunks(db, who.principal, query, k=10, **kwargs)
    db.rollback()
    return hits


def _world(db: Session):  # type: ignore[no-untyped-def]
    from lectern.progress import service as progress

    owner, learner, outsider = make_account(db, "instructor"), make_account(db), make_account(db)
    course, lessons = make_course(db, owner, lessons=2)
    progress.enroll(db, learner.principal, course.id)
    word = tag()
    document, chunks = add_document_chunks(db, owner, [f"{word} the citric acid cycle"])
    return owner, learner, outsider, course, lessons, word, document, chunks


def test_a_resource_answers_its_learners_searches_until_detached(db: Session):
    from lectern.documents import resources

    owner, learner, outsider, course, lessons, word, document, chunks = _world(db)
    admin = make_account(db, "admin")
    query = f"{word} citric acid"
    assert all(h.source_id != document for h in _search(db, learner, query))  # not yet

    made = resources.attach(db, owner.principal, lessons[0].id, document)
    for who in (learner, owner, admin):
        assert chunks[0] in {h.chunk_id for h in _search(db, who, query)}
        assert chunks[0] in {h.chunk_id for h in _search(db, who, query, course_id=course.id)}
    assert all(h.source_id != document for h in _search(db, outsider, query))

    listed = resources.list_resources(db, learner.principal, lessons[0].id).items
    assert [(r.id, r.filename) for r in listed] == [(made.id, "notes.md")]
    url = resources.download(db, learner.principal, made.id)
    assert "X-Amz-Expires=" in url.url or "Expires=" in url.url

    resources.detach(db, owner.principal, made.id)
    for who in (learner, admin):
        assert all(h.source_id != document for h in _search(db, who, query))
    assert chunks[0] in {h.chunk_id for h in _search(db, owner, query)}  # still the owner's


def test_leaving_the_course_ends_a_learners_access_at_once(db: Session):
    from lectern.documents import resources
    from lectern.errors import Forbidden
    from lectern.progress import service as progress

    owner, learner, _outsider, course, lessons, word, document, chunks = _world(db)
    made = resources.attach(db, owner.principal, lessons[1].id, document)
    assert chunks[0] in {h.chunk_id for h in _search(db, learner, f"{word} citric")}
    progress.unenroll(db, learner.principal, course.id)
    assert all(h.source_id != document for h in _search(db, learner, f"{word} citric"))
    with pytest.raises(Forbidden):
        resources.download(db, learner.principal, made.id)
    with pytest.raises(Forbidden):
        resources.list_resources(db, learner.principal, lessons[1].id)


def test_ask_cites_a_resource_only_for_the_enrolled(db: Session):
    from lectern.ai import service
    from lectern.ai.schemas import AskIn
    from lectern.documents import resources

    owner, learner, outsider, _course, lessons, word, document, chunks = _world(db)
    resources.attach(db, owner.principal, lessons[0].id, document)
    mine = service.ask(db, learner.principal, AskIn(question=f"{word} citric acid cycle?"))
    assert chunks[0] in {c.chunk_id for c in mine.citations}
    theirs = service.ask(db, outsider.principal, AskIn(question=f"{word} citric acid cycle?"))
    assert all(c.source_id != document for c in theirs.citations)


def test_only_the_owners_own_ready_documents_attach_and_refusals_write_nothing(db: Session):
    from lectern.documents import resources
    from lectern.documents.models import Document, DocumentStatus, LessonResource
    from lectern.errors import Conflict, Forbidden, NotFound

    owner, learner, _outsider, _course, lessons, _word, document, _chunks = _world(db)
    other = make_account(db, "instructor")
    foreign, _ = add_document_chunks(db, other, ["someone else's notes"])
    learners_own, _ = add_document_chunks(db, learner, ["a learner's notes"])
    pending = Document(
        owner_id=owner.id,
        filename="draft.txt",
        content_type="text/plain",
        size_bytes=3,
        object_key=f"documents/{uuid.uuid4()}",
        status=DocumentStatus.processing,
    )
    db.add(pending)
    db.commit()
    with pytest.raises(NotFound):
        resources.attach(db, owner.principal, lessons[0].id, foreign)
    with pytest.raises(NotFound):
        resources.attach(db, owner.principal, lessons[0].id, uuid.uuid4())
    with pytest.raises(NotFound):
        resources.attach(db, owner.principal, uuid.uuid4(), document)
    with pytest.raises(Conflict):
        resources.attach(db, owner.principal, lessons[0].id, pending.id)
    with pytest.raises(Forbidden):
        resources.attach(db, learner.principal, lessons[0].id, learners_own)
    with pytest.raises(Forbidden):
        resources.attach(db, other.principal, lessons[0].id, foreign)
    assert (
        db.scalar(
            select(func.count())
            .select_from(LessonResource)
            .where(LessonResource.lesson_id == lessons[0].id)
        )
        == 0
    )
    resources.attach(db, owner.principal, lessons[0].id, document)
    with pytest.raises(Conflict):
        resources.attach(db, owner.principal, lessons[0].id, document)

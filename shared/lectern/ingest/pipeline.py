"""Documents and lessons into chunks with embeddings, idempotently.

Delivery is at least once: the same message may come five times, or twice at once. The
work that takes time (download, extract, chunk, embed) happens outside any transaction;
the write is one short transaction that locks the source (the document row ``FOR
UPDATE``; a transaction-scoped advisory lock for a lesson), looks again, and either
finds the version already written (nothing to do) or replaces the source's chunks whole.

A document's version is its object's ETag; a lesson's is the SHA-256 of the text cut.
Files that cannot be read leave the document ``failed`` with a sentence for its owner and
are not retried; outages (database, storage, embedder) raise, so the message is retried.
So do files over a cap on what one document may cost (pages, characters, unpacked bytes,
chunks, ``job_seconds`` of work): reading stops at the cap, nothing is embedded past it,
and the failure is recorded against the ETag, so a redelivery does nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from lectern.config import get_settings
from lectern.core.ids import uuid7
from lectern.db.engine import get_engine, get_sessionmaker
from lectern.documents.events import record_upload
from lectern.documents.models import Document, DocumentStatus
from lectern.embeddings.factory import get_embedder
from lectern.embeddings.port import Embedder, embed_all, vector_literal
from lectern.embeddings.registry import ensure_model
from lectern.ingest.chunking import TextChunk, chunk_text
from lectern.ingest.extract import (
    Extracted,
    Limits,
    OverLimit,
    Unreadable,
    extract,
    markdown_to_text,
    tidy,
    too_many_chunks,
)
from lectern.ingest.messages import Job, LessonJob, normalize_etag, parse_message

GONE = "The uploaded file is no longer in storage; upload it again."
TOO_LARGE = "The file is larger than uploads may be."
# Rows per INSERT statement: well under Postgres' 65,535 bind parameters.
INSERT_BATCH = 250
# What the one write transaction after a job's budget may take (chunks at the cap, the
# index updates, the commit): a job is started only with both left.
WRITE_MARGIN_SECONDS = 30.0

# Documents whose object has not (or no longer) passed the check.
_NOT_ACCEPTED = (DocumentStatus.pending, DocumentStatus.failed)

Status = Literal["ready", "unchanged", "failed", "ignored", "stale"]


@dataclass(frozen=True)
class Outcome:
    """What one job did. ``ignored``: nothing to process (source gone, not ours);
    ``unchanged``: this version was already written; ``stale``: a newer version exists."""

    status: Status
    chunks: int = 0
    pages: int | None = None
    reason: str | None = None
    # The cap a failed document was over (``pages``, ``time`` ...), for the metrics.
    limit: str | None = None


def seconds_needed() -> float:
    """The time a job may take at most: its budget, then the write."""
    return get_settings().ingest.job_seconds + WRITE_MARGIN_SECONDS


class ObjectChanged(Exception):
    """The object was replaced again while being read: retry the message."""


def run_job(job: Job) -> Outcome:
    if isinstance(job, LessonJob):
        return process_lesson(job.lesson_id)
    return process_document(document_id=job.document_id, object_key=job.object_key, etag=job.etag)


def handle_message(body: str) -> list[Outcome]:
    """Every job of one message body; raises MalformedMessage, or what a job raised."""
    return [run_job(job) for job in parse_message(body)]


# --- documents ----------------------------------------------------------------------------


def _load_document(document_id: uuid.UUID | None, object_key: str | None) -> Document | None:
    query = select(Document)
    if document_id is not None:
        query = query.where(Document.id == document_id)
    elif object_key is not None:
        query = query.where(Document.object_key == object_key)
    else:
        return None
    # A detached snapshot: the session (and its connection) is gone before the slow work.
    with get_sessionmaker()() as db:
        return db.scalar(query)


def _verify(doc: Document) -> str:
    """Check the object against the document (size, type, first bytes) and record its
    ETag; raises ObjectMismatch.

    When this accepts an upload not accepted before (``pending``: its object event came
    before the client completed it; ``failed``: a refused upload was replaced), the upload
    is recorded as completion would have; the row lock makes exactly one of the two
    record it.
    """
    from lectern.documents.verify import check_object

    etag = normalize_etag(check_object(doc)) or ""
    with get_sessionmaker()() as db:
        status = db.scalar(select(Document.status).where(Document.id == doc.id).with_for_update())
        if status is None:
            return etag
        db.execute(
            text(
                "UPDATE documents SET etag = :etag, status = 'processing', error = NULL,"
                " updated_at = now()"
                " WHERE id = :id AND (status = 'pending' OR etag IS DISTINCT FROM :etag)"
            ),
            {"id": doc.id, "etag": etag},
        )
        if status in _NOT_ACCEPTED:
            record_upload(db, doc)
        db.commit()
    return etag


def _read_object(key: str, etag: str) -> bytes | None:
    """The object's bytes if its ETag is still ``etag``; None if it was replaced.

    Raises FileNotFoundError when the object is gone, DependencyUnavailable on outages.
    """
    from lectern.storage.factory import get_storage

    settings = get_settings()
    # One byte over the limit tells a file that is too large from one that just fits.
    data = get_storage().read_if_match(key, etag, settings.documents.max_bytes + 1)
    if data is None:
        return None
    if len(data) > settings.documents.max_bytes:
        raise Unreadable(TOO_LARGE)
    return data


def _fetch(doc: Document) -> tuple[str, bytes]:
    """The checked version's ETag and bytes. A document not yet checked (its object event
    came before the upload was completed), or whose object was replaced since, is
    checked first. Raises ObjectMismatch, FileNotFoundError, ObjectChanged."""
    etag = normalize_etag(doc.etag)
    if doc.status == DocumentStatus.pending or etag is None:
        etag = _verify(doc)
    data = _read_object(doc.object_key, etag)
    if data is None:
        etag = _verify(doc)
        data = _read_object(doc.object_key, etag)
        if data is None:
            raise ObjectChanged(doc.object_key)
    return etag, data


def process_document(
    *,
    document_id: uuid.UUID | None = None,
    object_key: str | None = None,
    etag: str | None = None,
) -> Outcome:
    doc = _load_document(document_id, object_key)
    if doc is None:
        return Outcome("ignored", reason="no such document")
    wanted = normalize_etag(etag)
    # A replay of a version already handled: answered without reading the object.
    if (
        wanted is not None
        and normalize_etag(doc.processed_etag) == wanted
        and doc.status in (DocumentStatus.ready, DocumentStatus.failed)
    ):
        return Outcome("unchanged", chunks=doc.chunk_count, pages=doc.page_count)
    ingest = get_settings().ingest
    # The budget runs from here: the download is part of the job.
    limits = Limits.starting_now(
        max_pages=ingest.max_pages,
        max_characters=ingest.max_characters,
        max_expansion=ingest.max_expansion,
        seconds=ingest.job_seconds,
    )
    fetched = _fetch_or_fail(doc, wanted)
    if isinstance(fetched, Outcome):
        return fetched
    version, data = fetched
    try:
        extracted = extract(data, doc.content_type, limits)
        chunks = chunk_text(
            extracted.text,
            ingest.chunk_words,
            ingest.chunk_overlap_words,
            max_chunks=ingest.max_chunks,
        )
        if len(chunks) > ingest.max_chunks:
            raise too_many_chunks(ingest.max_chunks)
        embedder = get_embedder()
        model_id = ensure_model(embedder)
        vectors = _embed_within(embedder, [c.content for c in chunks], limits)
    except Unreadable as unreadable:
        outcome = _fail(doc.id, version, unreadable.reason)
        if isinstance(unreadable, OverLimit) and outcome.status == "failed":
            return Outcome("failed", reason=unreadable.reason, limit=unreadable.limit)
        return outcome
    return _write_document(
        doc.id,
        version=version,
        extracted=extracted,
        chunks=chunks,
        vectors=vectors,
        model_id=model_id,
    )


def _embed_within(embedder: Embedder, texts: Sequence[str], limits: Limits) -> list[list[float]]:
    """``embed_all``, batch by batch, stopping (OverLimit) once the job's time is up: what
    a slow provider would run past the Lambda timeout is not paid for again on a retry."""
    vectors: list[list[float]] = []
    for start in range(0, len(texts), embedder.max_batch):
        limits.check_time()
        vectors.extend(embedder.embed(texts[start : start + embedder.max_batch]))
    return vectors


def _fetch_or_fail(doc: Document, wanted: str | None) -> tuple[str, bytes] | Outcome:
    """The object's version and bytes, or the document marked failed when they cannot
    be used. ``wanted`` (the version the message named) is recorded on a rejection, so
    replays of that message do not overwrite the reason."""
    from lectern.documents.verify import ObjectMismatch, delete_object
    from lectern.storage.factory import get_storage

    try:
        return _fetch(doc)
    except ObjectMismatch as mismatch:
        if doc.status in _NOT_ACCEPTED and get_storage().head_object(doc.object_key) is None:
            # Nothing uploaded yet, or a refused upload already deleted: nothing to do,
            # and the reason the owner was given stays.
            return Outcome("ignored", reason="no object")
        # The bytes are not what was declared: nothing may read them.
        delete_object(doc.object_key)
        return _fail(doc.id, None, mismatch.reason, rejected=wanted)
    except FileNotFoundError:
        return _fail(doc.id, None, GONE, rejected=wanted)
    except Unreadable as unreadable:
        return _fail(doc.id, None, unreadable.reason, rejected=wanted)


def _lock_document(conn: Connection, document_id: uuid.UUID) -> Any:
    return conn.execute(
        text(
            "SELECT owner_id, course_id, status, etag, processed_etag FROM documents"
            " WHERE id = :id FOR UPDATE"
        ),
        {"id": document_id},
    ).one_or_none()


def _current(row: Any, version: str | None) -> bool:
    """Whether ``version`` is still the document's checked version (not reset, not
    replaced by a newer upload)."""
    if row.status == DocumentStatus.pending.value:
        return False
    return version is None or normalize_etag(row.etag) in (None, version)


def _write_document(
    document_id: uuid.UUID,
    *,
    version: str,
    extracted: Extracted,
    chunks: Sequence[TextChunk],
    vectors: Sequence[Sequence[float]],
    model_id: int,
) -> Outcome:
    with get_engine().begin() as conn:
        row = _lock_document(conn, document_id)
        if row is None:
            return Outcome("ignored", reason="document deleted")
        if not _current(row, version):
            return Outcome("stale")
        if (
            row.status == DocumentStatus.ready.value
            and normalize_etag(row.processed_etag) == version
        ):
            return Outcome("unchanged")
        conn.execute(text("DELETE FROM chunks WHERE document_id = :id"), {"id": document_id})
        _insert_chunks(
            conn,
            chunks,
            vectors,
            model_id=model_id,
            version=version,
            document_id=document_id,
            course_id=row.course_id,
            owner_id=row.owner_id,
        )
        conn.execute(
            text(
                "UPDATE documents SET status = 'ready', chunk_count = :n, page_count = :pages,"
                " etag = :v, processed_etag = :v, processed_at = now(), error = NULL,"
                " updated_at = now() WHERE id = :id"
            ),
            {"id": document_id, "n": len(chunks), "pages": extracted.page_count, "v": version},
        )
    return Outcome("ready", chunks=len(chunks), pages=extracted.page_count)


def _fail(
    document_id: uuid.UUID, version: str | None, reason: str, *, rejected: str | None = None
) -> Outcome:
    """Mark the document failed with ``reason``; its chunks no longer match its file.

    ``version`` is the ETag of a file found unreadable (checked still current first);
    ``rejected``, that of a file refused before reading. Either is recorded as handled,
    so a replay of its message is answered without touching storage again.
    """
    with get_engine().begin() as conn:
        row = _lock_document(conn, document_id)
        if row is None:
            return Outcome("ignored", reason="document deleted")
        if version is not None and not _current(row, version):
            return Outcome("stale")
        conn.execute(text("DELETE FROM chunks WHERE document_id = :id"), {"id": document_id})
        conn.execute(
            text(
                "UPDATE documents SET status = 'failed', error = :reason, chunk_count = 0,"
                " processed_etag = :v, processed_at = now(), updated_at = now() WHERE id = :id"
            ),
            {"id": document_id, "reason": reason, "v": version or rejected},
        )
    return Outcome("failed", reason=reason)


# --- lessons ------------------------------------------------------------------------------

_LESSON = text("SELECT course_id, title, content FROM lessons WHERE id = :id")
_LESSON_CURRENT = text(
    "SELECT EXISTS (SELECT 1 FROM chunks WHERE lesson_id = :id AND model_id = :model"
    " AND source_version = :version)"
)


def lesson_source(title: str, content: str) -> str:
    """The text a lesson's chunks are cut from (Markdown): its title as a heading, then
    its body."""
    return f"# {title}\n\n{content}"


def lesson_version(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def process_lesson(lesson_id: uuid.UUID) -> Outcome:
    engine = get_engine()
    with engine.connect() as conn:
        lesson = conn.execute(_LESSON, {"id": lesson_id}).one_or_none()
    if lesson is None:
        return Outcome("ignored", reason="lesson deleted")
    source = lesson_source(lesson.title, lesson.content)
    version = lesson_version(source)
    embedder = get_embedder()
    model_id = ensure_model(embedder)
    params = {"id": lesson_id, "model": model_id, "version": version}
    with engine.connect() as conn:
        if conn.scalar(_LESSON_CURRENT, params):
            return Outcome("unchanged")
    settings = get_settings()
    chunks = chunk_text(
        tidy(markdown_to_text(source)),
        settings.ingest.chunk_words,
        settings.ingest.chunk_overlap_words,
    )
    vectors = embed_all(embedder, [c.content for c in chunks])
    with engine.begin() as conn:
        # One writer per lesson; the lock ends with the transaction.
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"lectern.lesson:{lesson_id}"},
        )
        lesson = conn.execute(_LESSON, {"id": lesson_id}).one_or_none()
        if lesson is None:
            return Outcome("ignored", reason="lesson deleted")
        if lesson_version(lesson_source(lesson.title, lesson.content)) != version:
            return Outcome("stale")  # edited meanwhile: that edit's message writes it
        if conn.scalar(_LESSON_CURRENT, params):
            return Outcome("unchanged")
        conn.execute(text("DELETE FROM chunks WHERE lesson_id = :id"), {"id": lesson_id})
        _insert_chunks(
            conn,
            chunks,
            vectors,
            model_id=model_id,
            version=version,
            lesson_id=lesson_id,
            course_id=lesson.course_id,
        )
    return Outcome("ready", chunks=len(chunks))


# --- writing chunks -----------------------------------------------------------------------

_INSERT_CHUNKS = (
    "INSERT INTO chunks (id, source_type, document_id, lesson_id, course_id, owner_id,"
    " position, content, token_count, source_version, model_id, embedding) VALUES "
)


def _insert_chunks(
    conn: Connection,
    chunks: Sequence[TextChunk],
    vectors: Sequence[Sequence[float]],
    *,
    model_id: int,
    version: str,
    course_id: uuid.UUID | None,
    document_id: uuid.UUID | None = None,
    lesson_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
) -> None:
    """Multi-row INSERTs; vectors go as pgvector's text form, cast in SQL."""
    if len(chunks) != len(vectors):
        raise ValueError("one vector per chunk")
    source_type = "document" if document_id is not None else "lesson"
    shared = {
        "source_type": source_type,
        "document_id": document_id,
        "lesson_id": lesson_id,
        "course_id": course_id,
        "owner_id": owner_id,
        "model_id": model_id,
        "version": version,
    }
    for start in range(0, len(chunks), INSERT_BATCH):
        rows: list[str] = []
        params: dict[str, Any] = dict(shared)
        for i, (chunk, vector) in enumerate(
            zip(
                chunks[start : start + INSERT_BATCH],
                vectors[start : start + INSERT_BATCH],
                strict=True,
            )
        ):
            rows.append(
                f"(:id{i}, CAST(:source_type AS chunk_source), :document_id, :lesson_id,"
                f" :course_id, :owner_id, :position{i}, :content{i}, :tokens{i}, :version,"
                f" :model_id, CAST(:vector{i} AS vector))"
            )
            params[f"id{i}"] = uuid7()
            params[f"position{i}"] = chunk.position
            params[f"content{i}"] = chunk.content
            params[f"tokens{i}"] = chunk.token_count
            params[f"vector{i}"] = vector_literal(vector)
        # Only placeholders are added to the statement; every value is a bound parameter.
        conn.execute(text(_INSERT_CHUNKS + ", ".join(rows)), params)

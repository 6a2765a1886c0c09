"""Documents against the real stack (Postgres, moto's S3 and SQS): uploads are checked
before they are queued, every write is all or nothing, and only the owner sees a document."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from lectern.db.engine import get_sessionmaker
from lectern.documents import service
from lectern.documents.models import Chunk, ChunkSource, Document, DocumentStatus
from lectern.documents.schemas import DocumentIn
from lectern.errors import (
    Conflict,
    DependencyUnavailable,
    InvalidField,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from local.stack import BUCKET, LocalStack
from tests.conftest import reset_clients
from tests.factories import Account, make_account, make_course

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
MARKDOWN = "# Cardiac cycle\n\nSystole, then diastole. Café au lait.\n".encode()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def ingest_messages(stack: LocalStack, document_id: uuid.UUID) -> list[dict[str, Any]]:
    """Take this document's messages off the shared ingest queue, leaving others' there.

    The queue also gets the bucket's ObjectCreated notifications, and other tests use it:
    the rest is hidden while scanning, then made visible again at once.
    """
    sqs = stack.aws_client("sqs")
    url = stack.env["LECTERN_INGEST_QUEUE_URL"]
    mine: list[dict[str, Any]] = []
    others: list[str] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            if str(document_id) in message["Body"]:
                mine.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            else:
                others.append(message["ReceiptHandle"])
    for handle in others:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return mine


_made: list[uuid.UUID] = []


@pytest.fixture(autouse=True)
def _leave_the_queue_as_found(stack: LocalStack) -> Iterator[None]:
    """Take this test's leftover messages (the bucket notifies every PUT) off the queue
    the ingest tests share."""
    yield
    for document_id in _made:
        ingest_messages(stack, document_id)
    _made.clear()


def process_messages(stack: LocalStack, document_id: uuid.UUID) -> list[dict[str, Any]]:
    return [m for m in ingest_messages(stack, document_id) if m.get("type") == "process_document"]


def put(stack: LocalStack, key: str, body: bytes, content_type: str) -> None:
    stack.aws_client("s3").put_object(Bucket=BUCKET, Key=key, Body=body, ContentType=content_type)


def object_exists(stack: LocalStack, key: str) -> bool:
    listed = stack.aws_client("s3").list_objects_v2(Bucket=BUCKET, Prefix=key)
    return any(o["Key"] == key for o in listed.get("Contents", []))


def fresh(document_id: uuid.UUID) -> Document | None:
    with get_sessionmaker()() as db:
        return db.get(Document, document_id)


def start(
    db: Session,
    owner: Account,
    body: bytes = PDF,
    content_type: str = "application/pdf",
    **extra: Any,
) -> Document:
    created = service.create_document(
        db,
        owner.principal,
        DocumentIn(filename="notes.pdf", content_type=content_type, size_bytes=len(body), **extra),
    )
    _made.append(created.id)
    doc = db.get(Document, created.id)
    assert doc is not None
    return doc


def uploaded(db: Session, stack: LocalStack, owner: Account, body: bytes = PDF) -> Document:
    doc = start(db, owner, body)
    put(stack, doc.object_key, body, "application/pdf")
    return doc


# --- create ---


def test_create_makes_a_pending_document_and_a_signed_put(db: Session) -> None:
    owner = make_account(db)
    before = datetime.now(UTC)
    created = service.create_document(
        db,
        owner.principal,
        DocumentIn(
            filename="C:\\Users\\me\\Lecture 1.pdf",
            content_type="Application/PDF; charset=binary",
            size_bytes=len(PDF),
        ),
    )
    doc = db.get(Document, created.id)
    assert doc is not None
    assert doc.status == DocumentStatus.pending and created.status == "pending"
    assert doc.owner_id == owner.id
    assert doc.filename == "Lecture 1.pdf"
    assert doc.content_type == "application/pdf"
    # The key is the server's: owner and document id, never the client's name.
    assert doc.object_key == f"documents/{owner.id}/{doc.id}"
    url = urlsplit(created.upload.url)
    assert url.path.endswith(f"/{BUCKET}/{doc.object_key}")
    query = parse_qs(url.query)
    # Type, exact length and create-only are in the signature: the store refuses others.
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host;if-none-match"]
    assert query["X-Amz-Expires"] == ["600"]
    assert created.upload.method == "PUT"
    assert created.upload.headers == {
        "Content-Type": "application/pdf",
        "Content-Length": str(len(PDF)),
        "If-None-Match": "*",
    }
    assert before + timedelta(seconds=590) < created.upload.expires_at
    assert created.upload.expires_at <= datetime.now(UTC) + timedelta(seconds=600)


def test_create_refuses_what_it_cannot_take_and_writes_nothing(db: Session) -> None:
    owner = make_account(db)
    principal = owner.principal
    stranger = make_account(db, "instructor")
    hidden, _ = make_course(db, stranger, published=False)
    with pytest.raises(PayloadTooLarge) as too_big:
        service.create_document(
            db,
            principal,
            DocumentIn(filename="a.pdf", content_type="application/pdf", size_bytes=25 * 2**20 + 1),
        )
    assert too_big.value.field == "size_bytes" and too_big.value.status == 413
    with pytest.raises(UnsupportedMediaType) as bad_type:
        service.create_document(
            db,
            principal,
            DocumentIn(filename="a.zip", content_type="application/zip", size_bytes=10),
        )
    assert bad_type.value.field == "content_type" and bad_type.value.status == 415
    with pytest.raises(NotFound):
        service.create_document(
            db,
            principal,
            DocumentIn(
                filename="a.pdf", content_type="application/pdf", size_bytes=10, course_id=hidden.id
            ),
        )
    db.rollback()
    assert db.scalar(select(func.count()).where(Document.owner_id == owner.id)) == 0


def test_a_document_may_name_a_course_the_owner_can_see(db: Session) -> None:
    owner = make_account(db)
    author = make_account(db, "instructor")
    course, _ = make_course(db, author, published=True)
    doc = start(db, owner, course_id=course.id)
    assert doc.course_id == course.id


def test_a_size_exactly_at_the_limit_is_accepted(
    db: Session, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("LECTERN_DOCUMENT_MAX_BYTES", "1000")
    reset_clients()
    owner = make_account(db)
    doc = start(db, owner, b"x" * 1000, "text/plain")
    assert doc.size_bytes == 1000
    with pytest.raises(PayloadTooLarge):
        start(db, owner, b"x" * 1001, "text/plain")


# --- complete ---


def test_complete_checks_the_object_then_queues_it_once(db: Session, stack: LocalStack) -> None:
    owner = make_account(db)
    doc = uploaded(db, stack, owner)
    assert service.complete_document(db, owner.principal, doc.id).status == "processing"
    after = fresh(doc.id)
    assert after is not None
    assert after.status == DocumentStatus.processing and after.error is None
    head = stack.aws_client("s3").head_object(Bucket=BUCKET, Key=doc.object_key)
    assert after.etag == head["ETag"].strip('"')
    # Completing again changes nothing and sends nothing.
    assert service.complete_document(db, owner.principal, doc.id).status == "processing"
    messages = process_messages(stack, doc.id)
    assert messages == [
        {"type": "process_document", "document_id": str(doc.id), "etag": after.etag}
    ]
    events = db.execute(
        text(
            "SELECT user_id FROM events WHERE type = 'document_uploaded'"
            " AND context->>'document_id' = :id"
        ),
        {"id": str(doc.id)},
    ).all()
    assert [e.user_id for e in events] == [owner.id]


@pytest.mark.parametrize(
    ("declared", "body"),
    [
        ("application/pdf", PDF),
        ("text/markdown; charset=utf-8", MARKDOWN),
        ("text/plain", "Notes: systole, diastole — and café.\n".encode()),
        ("text/html; charset=UTF-8", b"<!-- export -->\n<!DOCTYPE html><html><p>Hi</p></html>"),
    ],
)
def test_every_accepted_type_completes(
    db: Session, stack: LocalStack, declared: str, body: bytes
) -> None:
    owner = make_account(db)
    doc = start(db, owner, body, declared)
    kind = declared.split(";", maxsplit=1)[0]
    assert doc.content_type == kind
    put(stack, doc.object_key, body, kind)
    assert service.complete_document(db, owner.principal, doc.id).status == "processing"
    assert len(process_messages(stack, doc.id)) == 1


def test_a_ready_document_completes_as_ready(db: Session, stack: LocalStack) -> None:
    owner = make_account(db)
    doc = uploaded(db, stack, owner)
    db.execute(update(Document).where(Document.id == doc.id).values(status=DocumentStatus.ready))
    db.commit()
    assert service.complete_document(db, owner.principal, doc.id).status == "ready"
    assert process_messages(stack, doc.id) == []


def test_concurrent_completions_queue_one_message(db: Session, stack: LocalStack) -> None:
    owner = make_account(db)
    doc = uploaded(db, stack, owner)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def complete() -> None:
        with get_sessionmaker()() as session:
            barrier.wait()
            out = service.complete_document(session, owner.principal, doc.id)
            results.append(out.status)

    threads = [threading.Thread(target=complete) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["processing"] * 4
    assert len(process_messages(stack, doc.id)) == 1


TEXT_AS_PDF = b"plain text, not a PDF at all".ljust(len(PDF), b"!")


@pytest.mark.parametrize(
    ("sent", "sent_type", "reason"),
    [
        (PDF + b"more", "application/pdf", "bytes"),
        (PDF, "text/plain", "was sent as text/plain"),
        (TEXT_AS_PDF, "application/pdf", "not a PDF"),
    ],
    ids=["wrong-size", "wrong-type", "text-declared-as-pdf"],
)
def test_a_mismatched_upload_is_deleted_and_refused(
    db: Session, stack: LocalStack, sent: bytes, sent_type: str, reason: str
) -> None:
    owner = make_account(db)
    doc = start(db, owner, PDF)
    put(stack, doc.object_key, sent, sent_type)
    with pytest.raises(Conflict, match=reason):
        service.complete_document(db, owner.principal, doc.id)
    assert not object_exists(stack, doc.object_key)
    after = fresh(doc.id)
    assert after is not None
    assert after.status == DocumentStatus.pending and after.etag is None
    assert after.error is not None and reason in after.error
    assert process_messages(stack, doc.id) == []


def test_after_a_mismatch_the_right_bytes_complete(db: Session, stack: LocalStack) -> None:
    owner = make_account(db)
    doc = start(db, owner, PDF)
    put(stack, doc.object_key, TEXT_AS_PDF, "application/pdf")
    with pytest.raises(Conflict):
        service.complete_document(db, owner.principal, doc.id)
    # The owner sends the right bytes while the URL lives, and completes again.
    put(stack, doc.object_key, PDF, "application/pdf")
    assert service.complete_document(db, owner.principal, doc.id).status == "processing"
    after = fresh(doc.id)
    assert after is not None and after.error is None and after.etag
    assert len(process_messages(stack, doc.id)) == 1


def test_completing_before_the_upload_is_a_conflict(db: Session, stack: LocalStack) -> None:
    owner = make_account(db)
    doc = start(db, owner)
    with pytest.raises(Conflict, match="not found"):
        service.complete_document(db, owner.principal, doc.id)
    assert fresh(doc.id).status == DocumentStatus.pending


def test_a_failed_document_may_be_completed_again(db: Session, stack: LocalStack) -> None:
    owner = make_account(db)
    doc = uploaded(db, stack, owner)
    service.complete_document(db, owner.principal, doc.id)
    db.execute(
        update(Document)
        .where(Document.id == doc.id)
        .values(status=DocumentStatus.failed, error="The PDF could not be read.")
    )
    db.commit()
    assert service.complete_document(db, owner.principal, doc.id).status == "processing"
    after = fresh(doc.id)
    assert after is not None and after.status == DocumentStatus.processing and after.error is None
    assert len(process_messages(stack, doc.id)) == 2


def test_queue_down_leaves_the_document_pending(
    db: Session, stack: LocalStack, settings_env: pytest.MonkeyPatch
) -> None:
    owner = make_account(db)
    doc = uploaded(db, stack, owner)
    settings_env.setenv("LECTERN_AWS_ENDPOINT_URL", _closed_port_url())
    reset_clients()
    with get_sessionmaker()() as session, pytest.raises(DependencyUnavailable) as down:
        service.complete_document(session, owner.principal, doc.id)
    assert down.value.dependency == "queue"
    after = fresh(doc.id)
    assert after is not None and after.status == DocumentStatus.pending and after.etag is None
    with get_sessionmaker()() as session:
        assert not session.scalar(
            text(
                "SELECT count(*) FROM events WHERE type = 'document_uploaded'"
                " AND context->>'document_id' = :id"
            ),
            {"id": str(doc.id)},
        )
    assert object_exists(stack, doc.object_key)


def test_storage_down_changes_nothing(
    db: Session, stack: LocalStack, settings_env: pytest.MonkeyPatch
) -> None:
    owner = make_account(db)
    doc = uploaded(db, stack, owner)
    settings_env.setenv("LECTERN_S3_ENDPOINT_URL", _closed_port_url())
    reset_clients()
    with get_sessionmaker()() as session, pytest.raises(DependencyUnavailable) as down:
        service.complete_document(session, owner.principal, doc.id)
    assert down.value.dependency == "storage"
    with get_sessionmaker()() as session, pytest.raises(DependencyUnavailable):
        service.delete_document(session, owner.principal, doc.id)
    after = fresh(doc.id)
    assert after is not None and after.status == DocumentStatus.pending and after.error is None


# --- read, list, download ---


def test_list_is_newest_first_in_pages(db: Session) -> None:
    owner = make_account(db)
    ids = [start(db, owner).id for _ in range(5)]
    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        page = service.list_documents(db, owner.principal, limit=2, cursor=cursor)
        seen.extend(d.id for d in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    with pytest.raises(InvalidField) as bad:
        service.list_documents(db, owner.principal, limit=2, cursor="garbage")
    assert bad.value.field == "cursor"


def test_download_is_an_attachment_url_once_uploaded(db: Session, stack: LocalStack) -> None:
    import httpx

    owner = make_account(db)
    doc = uploaded(db, stack, owner)
    with pytest.raises(Conflict):
        service.download_document(db, owner.principal, doc.id)
    service.complete_document(db, owner.principal, doc.id)
    link = service.download_document(db, owner.principal, doc.id)
    assert parse_qs(urlsplit(link.url).query)["X-Amz-Expires"] == ["300"]
    reply = httpx.get(link.url)
    assert reply.status_code == 200 and reply.content == PDF
    assert reply.headers["content-disposition"] == (
        "attachment; filename=\"notes.pdf\"; filename*=UTF-8''notes.pdf"
    )
    process_messages(stack, doc.id)


def test_others_and_admins_get_not_found_everywhere(db: Session, stack: LocalStack) -> None:
    owner = make_account(db)
    doc = uploaded(db, stack, owner)
    for other in (make_account(db), make_account(db, "admin")):
        p = other.principal
        for call in (
            service.get_document,
            service.complete_document,
            service.download_document,
            service.delete_document,
        ):
            with pytest.raises(NotFound):
                call(db, p, doc.id)
            db.rollback()
        assert service.list_documents(db, p, limit=50, cursor=None).items == []
    after = fresh(doc.id)
    assert after is not None and after.status == DocumentStatus.pending
    assert object_exists(stack, doc.object_key)
    assert process_messages(stack, doc.id) == []


# --- delete, erase, purge ---


def add_chunk(db: Session, doc: Document) -> uuid.UUID:
    from lectern.embeddings.factory import get_embedder
    from lectern.embeddings.registry import ensure_model

    embedder = get_embedder()
    chunk = Chunk(
        source_type=ChunkSource.document,
        document_id=doc.id,
        owner_id=doc.owner_id,
        position=0,
        content="Systole, then diastole.",
        token_count=3,
        source_version=doc.etag or "etag",
        model_id=ensure_model(embedder),
        embedding=embedder.embed(["Systole, then diastole."])[0],
    )
    db.add(chunk)
    db.commit()
    return chunk.id


def test_delete_takes_the_row_its_chunks_and_the_object(db: Session, stack: LocalStack) -> None:
    owner = make_account(db)
    doc = uploaded(db, stack, owner)
    chunk_id = add_chunk(db, doc)
    service.delete_document(db, owner.principal, doc.id)
    assert fresh(doc.id) is None
    with get_sessionmaker()() as session:
        assert session.get(Chunk, chunk_id) is None
    assert not object_exists(stack, doc.object_key)
    with pytest.raises(NotFound):
        service.delete_document(db, owner.principal, doc.id)


def test_erase_and_export_cover_every_document(db: Session, stack: LocalStack) -> None:
    from lectern.privacy import erase_learning, export_learning
    from lectern.storage.factory import get_storage

    owner = make_account(db)
    keep = make_account(db)
    docs = [uploaded(db, stack, owner) for _ in range(3)]
    kept = uploaded(db, stack, keep)
    exported = export_learning(db, owner.id)["documents"]
    assert sorted(d["id"] for d in exported) == sorted(str(d.id) for d in docs)
    assert {d["filename"] for d in exported} == {"notes.pdf"}
    get_storage().delete_objects(erase_learning(db, owner.id))
    db.commit()
    assert all(fresh(d.id) is None for d in docs)
    assert not any(object_exists(stack, d.object_key) for d in docs)
    assert fresh(kept.id) is not None and object_exists(stack, kept.object_key)


def test_abandoned_uploads_are_purged(db: Session, stack: LocalStack) -> None:
    owner = make_account(db)
    old = uploaded(db, stack, owner)
    recent = start(db, owner)
    done = uploaded(db, stack, owner)
    service.complete_document(db, owner.principal, done.id)
    db.execute(
        update(Document)
        .where(Document.id.in_([old.id, done.id]))
        .values(created_at=datetime.now(UTC) - timedelta(days=3))
    )
    db.commit()
    assert service.purge_abandoned_uploads(db, older_than=timedelta(days=1)) == 1
    db.commit()
    assert fresh(old.id) is None and not object_exists(stack, old.object_key)
    assert fresh(recent.id) is not None
    assert fresh(done.id) is not None and object_exists(stack, done.object_key)
    process_messages(stack, done.id)

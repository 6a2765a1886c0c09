"""The ingest handler against the real stack: SQS events in, chunks with vectors out.

Objects live in moto's S3, rows in the embedded Postgres; the events are the SQS
events Lambda builds, sent to ``functions/ingest/handler.py``'s real handler.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from lectern.catalog.models import Lesson
from lectern.config import get_settings
from lectern.documents.models import Document, DocumentStatus
from lectern.errors import DependencyUnavailable
from lectern.ingest.extract import ENCRYPTED, NOT_UTF8
from lectern.ingest.pipeline import lesson_source, lesson_version
from local.events import LambdaContext
from local.functions import load_module
from local.ingest_worker import TIMEOUT_MS
from local.stack import LocalStack
from tests.factories import Account, make_account, make_course
from tests.unit.ingest.test_extract_and_chunk import make_pdf

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:lectern-ingest"


def handler() -> Any:
    return load_module("ingest", "handler.py").handler


def sqs_event(*bodies: Any) -> tuple[dict[str, Any], list[str]]:
    """A Lambda SQS event holding these bodies (dicts are sent as JSON), and the ids."""
    now = str(int(time.time() * 1000))
    records = []
    for body in bodies:
        raw = body if isinstance(body, str) else json.dumps(body)
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": raw,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": now,
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": now,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(raw.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}, [r["messageId"] for r in records]


def invoke(*bodies: Any) -> tuple[list[str], list[str]]:
    """Run the handler on one batch; the message ids, and those reported failed."""
    event, ids = sqs_event(*bodies)
    result = handler()(
        event, LambdaContext(function_name="lectern-ingest", remaining_ms=TIMEOUT_MS)
    )
    return ids, [f["itemIdentifier"] for f in result["batchItemFailures"]]


def notes(topic: str, sentences: int = 80) -> str:
    lines = [f"# Notes on {topic}", ""]
    for i in range(sentences):
        lines.append(f"Point {i} about {topic}: the {topic} matters for sentence number {i}.")
        if i % 10 == 9:
            lines.append("")
    return "\n".join(lines)


def put_object(stack: LocalStack, key: str, data: bytes, content_type: str) -> str:
    reply = stack.aws_client("s3").put_object(
        Bucket=get_settings().storage.bucket, Key=key, Body=data, ContentType=content_type
    )
    return str(reply["ETag"]).strip('"')


def new_document(
    db: Session,
    stack: LocalStack,
    owner: Account,
    data: bytes,
    *,
    content_type: str = "text/markdown",
    status: DocumentStatus = DocumentStatus.processing,
    course_id: uuid.UUID | None = None,
    upload: bool = True,
) -> Document:
    """A document row with its object in the bucket, as if completed (or only uploaded)."""
    doc_id = uuid.uuid4()
    key = f"documents/{owner.id}/{doc_id}"
    etag = put_object(stack, key, data, content_type) if upload else None
    doc = Document(
        id=doc_id,
        owner_id=owner.id,
        course_id=course_id,
        filename="notes.md",
        content_type=content_type,
        size_bytes=len(data),
        object_key=key,
        status=status,
        etag=etag if status != DocumentStatus.pending else None,
    )
    db.add(doc)
    db.commit()
    return doc


def process(doc: Document) -> dict[str, Any]:
    return {"type": "process_document", "document_id": str(doc.id), "etag": doc.etag}


_CHUNK_COLUMNS = (
    "SELECT id, position, content, token_count, source_version, owner_id, course_id,"
    " model_id, vector_dims(embedding) AS dims, vector_norm(embedding) AS norm FROM chunks"
)


def chunks_of(db: Session, **where: Any) -> list[Any]:
    ((column, value),) = where.items()
    assert column in ("document_id", "lesson_id")
    db.rollback()  # a fresh snapshot: the handler committed on its own connection
    return list(
        db.execute(
            text(_CHUNK_COLUMNS + f" WHERE {column} = :v ORDER BY position"),
            {"v": value},
        )
    )


def reload(db: Session, doc: Document) -> Document:
    db.expire_all()
    fresh = db.get(Document, doc.id)
    assert fresh is not None
    return fresh


@pytest.fixture
def owner(db: Session) -> Account:
    return make_account(db, "student")


# --- documents ----------------------------------------------------------------------------


def test_a_document_becomes_ready_with_its_chunks_vectors_and_owner(
    db: Session, stack: LocalStack, owner: Account
):
    teacher = make_account(db, "instructor")
    course, _ = make_course(db, teacher, lessons=0)
    doc = new_document(db, stack, owner, notes("the heart").encode(), course_id=course.id)
    assert invoke(process(doc))[1] == []
    doc = reload(db, doc)
    assert doc.status == DocumentStatus.ready
    assert doc.error is None
    assert doc.processed_etag == doc.etag
    assert doc.processed_at is not None
    rows = chunks_of(db, document_id=doc.id)
    assert len(rows) == doc.chunk_count > 1
    assert [r.position for r in rows] == list(range(len(rows)))
    assert {(r.owner_id, r.course_id, r.source_version) for r in rows} == {
        (owner.id, course.id, doc.etag)
    }
    assert {r.dims for r in rows} == {get_settings().embeddings.dimensions}
    assert all(abs(r.norm - 1.0) < 1e-4 for r in rows)
    assert all(r.token_count > 0 for r in rows)
    assert rows[0].content.startswith("Notes on the heart")
    model = db.execute(
        text("SELECT name, dimensions FROM embedding_models WHERE id = :id"),
        {"id": rows[0].model_id},
    ).one()
    assert model.dimensions == get_settings().embeddings.dimensions


def test_five_replays_leave_exactly_one_set_of_chunks(
    db: Session, stack: LocalStack, owner: Account
):
    doc = new_document(db, stack, owner, notes("valves").encode())
    for _ in range(5):
        assert invoke(process(doc))[1] == []
    first = chunks_of(db, document_id=doc.id)
    # Replays by every route a message may come: S3's notification, R2's, ours again.
    s3_event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": "b"},
                    "object": {"key": doc.object_key, "eTag": doc.etag},
                },
            }
        ]
    }
    r2_event = {
        "account": "acc",
        "bucket": "b",
        "action": "PutObject",
        "object": {"key": doc.object_key, "size": doc.size_bytes, "eTag": doc.etag},
        "eventTime": "2025-01-01T00:00:00Z",
    }
    assert invoke(s3_event, r2_event, process(doc))[1] == []
    again = chunks_of(db, document_id=doc.id)
    assert [r.id for r in again] == [r.id for r in first]  # not even rewritten
    assert reload(db, doc).chunk_count == len(again)


def test_concurrent_duplicates_leave_exactly_one_set_of_chunks(
    db: Session, stack: LocalStack, owner: Account
):
    doc = new_document(db, stack, owner, notes("the aorta", 200).encode())
    start = threading.Barrier(6)
    failures: list[Any] = []

    def deliver() -> None:
        start.wait()
        try:
            failures.extend(invoke(process(doc))[1])
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    rows = chunks_of(db, document_id=doc.id)
    doc = reload(db, doc)
    assert doc.status == DocumentStatus.ready
    assert len(rows) == doc.chunk_count
    assert [r.position for r in rows] == list(range(len(rows)))


def test_a_reupload_with_a_new_etag_replaces_the_chunks(
    db: Session, stack: LocalStack, owner: Account
):
    first_text = notes("kidneys").encode()
    doc = new_document(db, stack, owner, first_text)
    assert invoke(process(doc))[1] == []
    old = chunks_of(db, document_id=doc.id)
    # The same presigned URL may be used again while it lives: same length, new bytes.
    second_text = first_text.replace(b"kidneys", b"nephron")
    assert len(second_text) == len(first_text)
    new_etag = put_object(stack, doc.object_key, second_text, "text/markdown")
    s3_event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": "b"},
                    "object": {"key": doc.object_key, "eTag": new_etag},
                },
            }
        ]
    }
    assert invoke(s3_event)[1] == []
    new = chunks_of(db, document_id=doc.id)
    doc = reload(db, doc)
    assert doc.processed_etag == doc.etag == new_etag
    assert {r.source_version for r in new} == {new_etag}
    assert not {r.id for r in new} & {r.id for r in old}
    assert all("nephron" in r.content and "kidneys" not in r.content for r in new)
    # A late copy of the first upload's message changes nothing now.
    assert (
        invoke(
            {"type": "process_document", "document_id": str(doc.id), "etag": old[0].source_version}
        )[1]
        == []
    )
    assert [r.id for r in chunks_of(db, document_id=doc.id)] == [r.id for r in new]


def test_one_bad_record_in_a_batch_fails_alone(db: Session, stack: LocalStack, owner: Account):
    good = [new_document(db, stack, owner, notes(f"topic {i}").encode()) for i in range(3)]
    ids, failed = invoke(process(good[0]), "{not json", process(good[1]), process(good[2]))
    assert failed == [ids[1]]
    for doc in good:
        assert reload(db, doc).status == DocumentStatus.ready


def test_an_outage_fails_the_record_for_a_retry_and_writes_nothing(
    db: Session, stack: LocalStack, owner: Account, monkeypatch: pytest.MonkeyPatch
):
    doc = new_document(db, stack, owner, notes("lungs").encode())

    class Down:
        name, provider, dimensions, max_batch = "down-8", "test", 8, 16

        def embed(self, texts: Any) -> Any:
            raise DependencyUnavailable("embeddings", "provider down")

    monkeypatch.setattr("lectern.ingest.pipeline.get_embedder", Down)
    monkeypatch.setattr("lectern.ingest.pipeline.ensure_model", lambda embedder: 1)
    ids, failed = invoke(process(doc))
    assert failed == ids
    assert reload(db, doc).status == DocumentStatus.processing
    assert chunks_of(db, document_id=doc.id) == []
    monkeypatch.undo()
    assert invoke(process(doc))[1] == []  # the retry, once the provider is back
    assert reload(db, doc).status == DocumentStatus.ready


def test_storage_down_fails_the_record(
    db: Session, stack: LocalStack, owner: Account, settings_env: pytest.MonkeyPatch
):
    from tests.conftest import reset_clients

    doc = new_document(db, stack, owner, notes("liver").encode())
    settings_env.setenv("LECTERN_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    reset_clients()
    ids, failed = invoke(process(doc))
    assert failed == ids
    assert reload(db, doc).status == DocumentStatus.processing


@pytest.mark.parametrize(
    "case",
    [
        (make_pdf(["Locked notes."], user_password="pw"), "application/pdf", ENCRYPTED),
        (b"%PDF-1.7\n" + b"\x00garbage" * 20, "application/pdf", "damaged"),
        ("caf\u00e9 au lait".encode("latin-1"), "text/plain", NOT_UTF8),
    ],
    ids=["encrypted-pdf", "corrupt-pdf", "bad-utf8"],
)
def test_an_unreadable_file_fails_the_document_not_the_message(
    db: Session, stack: LocalStack, owner: Account, case: tuple[bytes, str, str]
):
    data, content_type, reason = case
    doc = new_document(db, stack, owner, data, content_type=content_type)
    assert invoke(process(doc))[1] == []  # acked: retrying cannot help
    doc = reload(db, doc)
    assert doc.status == DocumentStatus.failed
    assert doc.error is not None and reason in doc.error
    assert doc.chunk_count == 0
    assert chunks_of(db, document_id=doc.id) == []


def test_a_pdf_gets_its_page_count(db: Session, stack: LocalStack, owner: Account):
    pages = [f"Page {i} explains the conduction system of the heart in detail." for i in range(4)]
    doc = new_document(db, stack, owner, make_pdf(pages), content_type="application/pdf")
    assert invoke(process(doc))[1] == []
    doc = reload(db, doc)
    assert doc.status == DocumentStatus.ready
    assert doc.page_count == 4
    assert "Page 3 explains" in " ".join(r.content for r in chunks_of(db, document_id=doc.id))


def test_an_object_event_before_completion_checks_the_object_then_processes_it(
    db: Session, stack: LocalStack, owner: Account
):
    doc = new_document(db, stack, owner, notes("arteries").encode(), status=DocumentStatus.pending)
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "b"}, "object": {"key": doc.object_key}},
            }
        ]
    }
    assert invoke(event)[1] == []
    doc = reload(db, doc)
    assert doc.status == DocumentStatus.ready
    assert doc.etag is not None and doc.processed_etag == doc.etag
    # The client completes afterwards: nothing changes, and the upload is counted once.
    from lectern.documents.service import complete_document

    assert complete_document(db, owner.principal, doc.id).status == DocumentStatus.ready  # type: ignore[arg-type]
    assert invoke(event)[1] == []
    uploads = db.scalar(
        text(
            "SELECT count(*) FROM events WHERE type = 'document_uploaded'"
            " AND context->>'document_id' = :d"
        ),
        {"d": str(doc.id)},
    )
    assert uploads == 1


def test_bytes_that_are_not_what_was_declared_fail_the_document_and_are_deleted(
    db: Session, stack: LocalStack, owner: Account
):
    fake_pdf = b"just some text pretending to be a PDF"
    doc = new_document(
        db, stack, owner, fake_pdf, content_type="application/pdf", status=DocumentStatus.pending
    )
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "b"}, "object": {"key": doc.object_key, "eTag": "e1"}},
            }
        ]
    }
    assert invoke(event)[1] == []
    doc = reload(db, doc)
    assert doc.status == DocumentStatus.failed
    reason = doc.error
    assert reason and "not a PDF" in reason
    listed = stack.aws_client("s3").list_objects_v2(
        Bucket=get_settings().storage.bucket, Prefix=doc.object_key
    )
    assert listed.get("KeyCount", 0) == 0
    # A replay of the same event keeps the reason (the object is gone by now).
    assert invoke(event)[1] == []
    assert reload(db, doc).error == reason


def test_a_pending_document_without_its_object_is_left_as_it_is(
    db: Session, stack: LocalStack, owner: Account
):
    # E.g. completion refused the bytes, deleted them and told the owner why; the bucket's
    # notification of that upload arrives afterwards.
    doc = new_document(db, stack, owner, b"x" * 10, status=DocumentStatus.pending, upload=False)
    db.execute(
        update(Document).where(Document.id == doc.id).values(error="The file is not UTF-8 text.")
    )
    db.commit()
    assert invoke(process(doc))[1] == []
    doc = reload(db, doc)
    assert (doc.status, doc.error) == (DocumentStatus.pending, "The file is not UTF-8 text.")


def test_messages_about_nothing_of_ours_are_acked(db: Session, stack: LocalStack, owner: Account):
    gone = new_document(db, stack, owner, notes("spleen").encode())
    db.delete(gone)
    db.commit()
    _, failed = invoke(
        process(gone),
        {"type": "process_document", "document_id": str(uuid.uuid4())},
        {"type": "process_lesson", "lesson_id": str(uuid.uuid4())},
        {"Service": "Amazon S3", "Event": "s3:TestEvent"},
        {
            "Records": [
                {
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": "b"}, "object": {"key": "documents/nobody/none"}},
                }
            ]
        },
    )
    assert failed == []


# --- lessons ------------------------------------------------------------------------------


def test_a_lesson_is_chunked_with_its_course_then_replaced_on_edit_and_kept_when_unchanged(
    db: Session, owner: Account
):
    teacher = make_account(db, "instructor")
    course, (lesson,) = make_course(db, teacher, lessons=1)
    db.execute(
        update(Lesson).where(Lesson.id == lesson.id).values(title="Valves", content=notes("valves"))
    )
    db.commit()
    message = {"type": "process_lesson", "lesson_id": str(lesson.id)}
    assert invoke(message)[1] == []
    rows = chunks_of(db, lesson_id=lesson.id)
    assert len(rows) > 1
    assert {(r.course_id, r.owner_id) for r in rows} == {(course.id, None)}
    version = lesson_version(lesson_source("Valves", notes("valves")))
    assert {r.source_version for r in rows} == {version}
    assert rows[0].content.startswith("Valves\n\nNotes on valves")

    assert invoke(message, message)[1] == []  # same text: nothing rewritten
    assert [r.id for r in chunks_of(db, lesson_id=lesson.id)] == [r.id for r in rows]

    db.execute(update(Lesson).where(Lesson.id == lesson.id).values(content="Short **new** text."))
    db.commit()
    assert invoke(message)[1] == []
    edited = chunks_of(db, lesson_id=lesson.id)
    assert [r.content for r in edited] == ["Valves\n\nShort new text."]
    assert not {r.id for r in edited} & {r.id for r in rows}

    db.delete(db.get(Lesson, lesson.id))
    db.commit()
    assert invoke(message)[1] == []  # gone: acked, and its chunks went with it
    assert chunks_of(db, lesson_id=lesson.id) == []


def test_concurrent_lesson_messages_write_one_set(db: Session, owner: Account):
    teacher = make_account(db, "instructor")
    _, (lesson,) = make_course(db, teacher, lessons=1)
    db.execute(update(Lesson).where(Lesson.id == lesson.id).values(content=notes("ecg", 150)))
    db.commit()
    message = {"type": "process_lesson", "lesson_id": str(lesson.id)}
    start = threading.Barrier(5)
    failures: list[Any] = []

    def deliver() -> None:
        start.wait()
        failures.extend(invoke(message)[1])

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    rows = chunks_of(db, lesson_id=lesson.id)
    assert [r.position for r in rows] == list(range(len(rows)))
    assert len(rows) > 1
    assert len({r.source_version for r in rows}) == 1

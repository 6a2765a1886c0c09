"""Documents end to end through the `documents` Lambda handler, with the bytes PUT to the
presigned URL on moto's S3 as a client would, and the queue read back from moto's SQS."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest

from local.stack import BUCKET, LocalStack
from tests.conftest import reset_clients
from tests.e2e.conftest import Reply, invoke
from tests.factories import Account, new_account, new_course

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _messages(stack: LocalStack, document_id: str) -> list[dict[str, Any]]:
    """This document's messages, taken off the shared ingest queue (others' left there)."""
    sqs = stack.aws_client("sqs")
    url = stack.env["LECTERN_INGEST_QUEUE_URL"]
    mine: list[dict[str, Any]] = []
    others: list[str] = []
    while messages := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30
    ).get("Messages", []):
        for message in messages:
            if document_id in message["Body"]:
                mine.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            else:
                others.append(message["ReceiptHandle"])
    for handle in others:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return mine


_made: list[str] = []


@pytest.fixture(autouse=True)
def _leave_the_queue_as_found(stack: LocalStack) -> Iterator[None]:
    """Take this test's leftover messages (the bucket notifies every PUT) off the queue
    the ingest tests share."""
    yield
    for document_id in _made:
        _messages(stack, document_id)
    _made.clear()


def _object_keys(stack: LocalStack, prefix: str) -> list[str]:
    listed = stack.aws_client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def _create(owner: Account, body: bytes = PDF, **fields: Any) -> Reply:
    payload = {"filename": "notes.pdf", "content_type": "application/pdf", "size_bytes": len(body)}
    payload.update(fields)
    reply = invoke("documents", "POST", "/v1/documents", body=payload, token=owner.token)
    if reply.status == 201:
        _made.append(str(reply.body["id"]))
    return reply


def _upload(owner: Account, body: bytes = PDF, **fields: Any) -> str:
    created = _create(owner, body, **fields)
    assert created.status == 201, created.body
    upload = created.body["upload"]
    put = httpx.put(upload["url"], content=body, headers=upload["headers"])
    assert put.status_code == 200, put.text
    return str(created.body["id"])


def _documents_of(owner: Account) -> list[dict[str, Any]]:
    reply = invoke("documents", "GET", "/v1/me/documents", token=owner.token)
    assert reply.status == 200
    return list(reply.body["items"])


def test_upload_complete_read_download_delete(stack: LocalStack) -> None:
    owner = new_account()
    created = _create(owner, filename="../Week 1/Cardiac cycle.pdf")
    assert created.status == 201
    assert created.body["status"] == "pending"
    upload = created.body["upload"]
    assert upload["method"] == "PUT"
    assert upload["headers"] == {
        "Content-Type": "application/pdf",
        "Content-Length": str(len(PDF)),
        "If-None-Match": "*",
    }
    doc_id = created.body["id"]
    key = f"documents/{owner.id}/{doc_id}"
    assert f"/{key}?" in upload["url"]

    # Completing before the bytes arrive is a conflict, and changes nothing.
    early = invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token)
    assert early.status == 409 and early.headers["content-type"] == "application/problem+json"
    assert "not found" in early.body["detail"]

    put = httpx.put(upload["url"], content=PDF, headers=upload["headers"])
    assert put.status_code == 200
    done = invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token)
    assert done.status == 202 and done.body == {"status": "processing"}
    again = invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token)
    assert again.status == 202 and again.body == {"status": "processing"}

    etag = stack.aws_client("s3").head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
    messages = _messages(stack, doc_id)
    # The bucket's own ObjectCreated notification shares the queue; one message is ours.
    assert [m for m in messages if m.get("type") == "process_document"] == [
        {"type": "process_document", "document_id": doc_id, "etag": etag}
    ]
    # S3 URL-encodes the key in notifications.
    notified = [
        unquote_plus(r["s3"]["object"]["key"]) for m in messages for r in m.get("Records", [])
    ]
    assert notified == [key]

    read = invoke("documents", "GET", f"/v1/documents/{doc_id}", token=owner.token)
    assert read.status == 200
    assert read.body["filename"] == "Cardiac cycle.pdf"
    assert read.body["status"] == "processing"
    assert read.body["size_bytes"] == len(PDF) and read.body["chunk_count"] == 0
    assert read.body["error"] is None
    assert [d["id"] for d in _documents_of(owner)] == [doc_id]

    link = invoke("documents", "GET", f"/v1/documents/{doc_id}/download", token=owner.token)
    assert link.status == 200 and link.headers["cache-control"] == "no-store"
    fetched = httpx.get(link.body["url"])
    assert fetched.content == PDF
    assert fetched.headers["content-disposition"] == (
        "attachment; filename=\"Cardiac cycle.pdf\"; filename*=UTF-8''Cardiac%20cycle.pdf"
    )

    gone = invoke("documents", "DELETE", f"/v1/documents/{doc_id}", token=owner.token)
    assert gone.status == 204
    assert _object_keys(stack, key) == []
    assert invoke("documents", "GET", f"/v1/documents/{doc_id}", token=owner.token).status == 404
    assert _documents_of(owner) == []


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"size_bytes": 25 * 1024 * 1024 + 1}, 413, "size_bytes"),
        ({"content_type": "application/x-msdownload"}, 415, "content_type"),
        ({"content_type": "text/plain; charset=latin-1"}, 415, "content_type"),
        ({"size_bytes": 0}, 422, "size_bytes"),
        ({"size_bytes": "100"}, 422, "size_bytes"),
        ({"filename": "dir/"}, 422, "filename"),
        ({"filename": "a\r\nb.pdf"}, 422, "filename"),
        ({"object_key": "documents/someone-else/x"}, 422, "object_key"),
        ({"course_id": str(uuid.uuid4())}, 404, None),
    ],
    ids=[
        "too-big",
        "bad-type",
        "not-utf8",
        "empty",
        "size-as-text",
        "no-name",
        "header-split",
        "extra",
        "unknown-course",
    ],
)
def test_bad_uploads_are_refused_naming_the_field(
    fields: dict[str, Any], status: int, field: str | None
) -> None:
    owner = new_account()
    reply = _create(owner, **fields)
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    if field:
        assert field in [e["field"] for e in reply.body["errors"]]
    assert _documents_of(owner) == []


def test_a_course_the_caller_cannot_see_is_not_found() -> None:
    owner = new_account()
    author = new_account("instructor")
    hidden, _ = new_course(author, published=False)
    shown, _ = new_course(author, published=True)
    assert _create(owner, course_id=str(hidden.id)).status == 404
    ok = _create(owner, course_id=str(shown.id))
    assert ok.status == 201
    read = invoke("documents", "GET", f"/v1/documents/{ok.body['id']}", token=owner.token)
    assert read.body["course_id"] == str(shown.id)


@pytest.mark.parametrize(
    ("sent", "headers", "reason"),
    [
        (PDF + b"trailing", {"Content-Type": "application/pdf"}, "bytes"),
        (PDF, {"Content-Type": "text/html"}, "was sent as text/html"),
        (b"Just some notes, no PDF here.".ljust(len(PDF), b"."), None, "not a PDF"),
    ],
    ids=["wrong-size", "wrong-type", "text-declared-as-pdf"],
)
def test_an_upload_that_is_not_what_was_declared_is_deleted(
    stack: LocalStack, sent: bytes, headers: dict[str, str] | None, reason: str
) -> None:
    owner = new_account()
    created = _create(owner)
    upload = created.body["upload"]
    doc_id = created.body["id"]
    # moto does not check signatures: it stores what a real store would refuse, which is
    # exactly what completion must catch.
    put = httpx.put(upload["url"], content=sent, headers=headers or upload["headers"])
    assert put.status_code == 200
    reply = invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token)
    assert reply.status == 409 and reason in reply.body["detail"]
    assert _object_keys(stack, f"documents/{owner.id}/{doc_id}") == []
    read = invoke("documents", "GET", f"/v1/documents/{doc_id}", token=owner.token)
    assert read.body["status"] == "pending" and reason in read.body["error"]
    assert [m for m in _messages(stack, doc_id) if m.get("type") == "process_document"] == []
    link = invoke("documents", "GET", f"/v1/documents/{doc_id}/download", token=owner.token)
    assert link.status == 409


def test_the_upload_url_writes_once_unless_the_check_threw_the_bytes_away(
    stack: LocalStack,
) -> None:
    owner = new_account()
    created = _create(owner)
    upload = created.body["upload"]
    doc_id = created.body["id"]
    key = f"documents/{owner.id}/{doc_id}"
    # Bytes that are not a PDF: the check deletes them, so the same URL may be used again.
    wrong = b"Not a PDF, only words.".ljust(len(PDF), b".")
    assert httpx.put(upload["url"], content=wrong, headers=upload["headers"]).status_code == 200
    refused = invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token)
    assert refused.status == 409
    assert httpx.put(upload["url"], content=PDF, headers=upload["headers"]).status_code == 200
    done = invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token)
    assert done.status == 202
    # Checked bytes cannot be swapped behind the check's back while the URL still lives.
    swap = b"%PDF-1.7 but something else entirely".ljust(len(PDF), b" ")
    again = httpx.put(upload["url"], content=swap, headers=upload["headers"])
    assert again.status_code == 412
    body = stack.aws_client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert body == PDF
    assert len([m for m in _messages(stack, doc_id) if m.get("type") == "process_document"]) == 1


def test_others_and_admins_get_404_on_every_route_and_change_nothing(stack: LocalStack) -> None:
    owner = new_account()
    doc_id = _upload(owner)
    key = f"documents/{owner.id}/{doc_id}"
    for other in (new_account(), new_account("instructor"), new_account("admin")):
        for method, path in (
            ("GET", f"/v1/documents/{doc_id}"),
            ("POST", f"/v1/documents/{doc_id}/complete"),
            ("GET", f"/v1/documents/{doc_id}/download"),
            ("DELETE", f"/v1/documents/{doc_id}"),
        ):
            reply = invoke("documents", method, path, token=other.token)
            assert reply.status == 404, (other, method, path)
            assert reply.body["detail"] == "No such document."
        assert _documents_of(other) == []
    # Same answer as for a document that does not exist at all.
    missing = invoke("documents", "GET", f"/v1/documents/{uuid.uuid4()}", token=owner.token)
    assert missing.status == 404 and missing.body["detail"] == "No such document."
    read = invoke("documents", "GET", f"/v1/documents/{doc_id}", token=owner.token)
    assert read.body["status"] == "pending"
    assert _object_keys(stack, key) == [key]
    assert [m for m in _messages(stack, doc_id) if m.get("type") == "process_document"] == []


def test_every_route_needs_a_session() -> None:
    doc = uuid.uuid4()
    for method, path in (
        ("POST", "/v1/documents"),
        ("GET", "/v1/me/documents"),
        ("GET", f"/v1/documents/{doc}"),
        ("POST", f"/v1/documents/{doc}/complete"),
        ("GET", f"/v1/documents/{doc}/download"),
        ("DELETE", f"/v1/documents/{doc}"),
    ):
        assert invoke("documents", method, path).status == 401


def test_delete_takes_the_chunks_with_it(stack: LocalStack) -> None:
    from sqlalchemy import select

    from lectern.db.engine import get_sessionmaker
    from lectern.documents.models import Chunk, ChunkSource
    from lectern.embeddings.factory import get_embedder
    from lectern.embeddings.registry import ensure_model

    owner = new_account()
    doc_id = _upload(owner)
    assert (
        invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token).status
        == 202
    )
    embedder = get_embedder()
    with get_sessionmaker()() as db:
        db.add_all(
            Chunk(
                source_type=ChunkSource.document,
                document_id=uuid.UUID(doc_id),
                owner_id=owner.id,
                position=i,
                content=f"chunk {i}",
                token_count=2,
                source_version="etag",
                model_id=ensure_model(embedder),
                embedding=embedder.embed([f"chunk {i}"])[0],
            )
            for i in range(3)
        )
        db.commit()
    assert invoke("documents", "DELETE", f"/v1/documents/{doc_id}", token=owner.token).status == 204
    with get_sessionmaker()() as db:
        left = db.scalars(select(Chunk.id).where(Chunk.document_id == uuid.UUID(doc_id))).all()
    assert left == []
    _messages(stack, doc_id)


def test_storage_down_is_a_503_and_nothing_changes(
    stack: LocalStack, settings_env: pytest.MonkeyPatch
) -> None:
    owner = new_account()
    doc_id = _upload(owner)
    key = f"documents/{owner.id}/{doc_id}"
    settings_env.setenv("LECTERN_S3_ENDPOINT_URL", _closed_port_url())
    reset_clients()
    for method, path in (
        ("POST", f"/v1/documents/{doc_id}/complete"),
        ("DELETE", f"/v1/documents/{doc_id}"),
    ):
        reply = invoke("documents", method, path, token=owner.token)
        assert reply.status == 503, reply.body
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.body["dependency"] == "storage"
    read = invoke("documents", "GET", f"/v1/documents/{doc_id}", token=owner.token)
    assert read.status == 200 and read.body["status"] == "pending" and read.body["error"] is None
    assert _object_keys(stack, key) == [key]
    assert [m for m in _messages(stack, doc_id) if m.get("type") == "process_document"] == []


def test_queue_down_is_a_503_and_the_document_stays_pending(
    stack: LocalStack, settings_env: pytest.MonkeyPatch
) -> None:
    owner = new_account()
    doc_id = _upload(owner)
    settings_env.setenv("LECTERN_AWS_ENDPOINT_URL", _closed_port_url())
    reset_clients()
    reply = invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token)
    assert reply.status == 503 and reply.body["dependency"] == "queue"
    read = invoke("documents", "GET", f"/v1/documents/{doc_id}", token=owner.token)
    assert read.body["status"] == "pending"
    # Once the queue is back, completing works.
    settings_env.undo()
    reset_clients()
    assert (
        invoke("documents", "POST", f"/v1/documents/{doc_id}/complete", token=owner.token).status
        == 202
    )
    assert len([m for m in _messages(stack, doc_id) if m.get("type") == "process_document"]) == 1


def test_my_documents_are_paginated() -> None:
    owner = new_account()
    ids = [_create(owner).body["id"] for _ in range(3)]
    first = invoke("documents", "GET", "/v1/me/documents", token=owner.token, query="limit=2")
    assert [d["id"] for d in first.body["items"]] == ids[::-1][:2]
    rest = invoke(
        "documents",
        "GET",
        "/v1/me/documents",
        token=owner.token,
        query=f"limit=2&cursor={first.body['next_cursor']}",
    )
    assert [d["id"] for d in rest.body["items"]] == ids[:1]
    assert rest.body["next_cursor"] is None

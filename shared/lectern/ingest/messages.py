"""What arrives on the ingest queue, read into jobs.

Four shapes, told apart by their fields:

- an S3 event notification (the bucket notifies the queue): ``{"Records": [{"eventSource":
  "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {...}, "object": {"key",
  "size", "eTag"}}}]}``, keys URL-encoded as S3 sends them; S3's ``s3:TestEvent`` is
  ignored;
- an R2 event notification (the Cloudflare Queues message body): ``{"account", "bucket",
  "object": {"key", "size", "eTag"}, "action", "eventTime"}``; only actions that create
  an object are processed;
- ``{"type": "process_document", "document_id", "etag"}``, sent when an upload completes;
- ``{"type": "process_lesson", "lesson_id"}``, relayed from the outbox when a lesson
  changes.

Objects outside ``documents/`` are not ours to process and are ignored. A body that is
none of these raises ``MalformedMessage``: the record fails and, after the queue's
retries, lands in the dead-letter queue where someone can look at it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

DOCUMENTS_PREFIX = "documents/"
# R2 actions that leave a new object behind (deletes and lifecycle events do not).
R2_CREATE_ACTIONS = frozenset({"PutObject", "CopyObject", "CompleteMultipartUpload"})


class MalformedMessage(ValueError):
    """The body is not a message the ingest function knows."""


@dataclass(frozen=True)
class DocumentJob:
    """Process a document, found by id or by its object key; ``etag`` names the version
    the message is about, when it says."""

    document_id: uuid.UUID | None = None
    object_key: str | None = None
    etag: str | None = None


@dataclass(frozen=True)
class LessonJob:
    lesson_id: uuid.UUID


Job = DocumentJob | LessonJob


def normalize_etag(etag: str | None) -> str | None:
    """ETags without their quotes: S3 quotes them in HEAD/GET answers but not in events."""
    if etag is None:
        return None
    stripped = etag.strip().strip('"')
    return stripped or None


def _uuid(value: Any, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        raise MalformedMessage(f"{field} is not a UUID") from None


def _object_job(key: Any, etag: Any) -> list[Job]:
    if not isinstance(key, str) or not key:
        raise MalformedMessage("object key is missing")
    if not key.startswith(DOCUMENTS_PREFIX):
        return []
    return [
        DocumentJob(object_key=key, etag=normalize_etag(etag if isinstance(etag, str) else None))
    ]


def _s3_records(records: Any) -> list[Job]:
    if not isinstance(records, list):
        raise MalformedMessage("Records is not a list")
    jobs: list[Job] = []
    for record in records:
        if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
            raise MalformedMessage("a record is not an S3 event")
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        obj = (record.get("s3") or {}).get("object") or {}
        key = obj.get("key")
        # S3 URL-encodes keys in notifications, spaces as '+'.
        jobs.extend(
            _object_job(unquote_plus(key) if isinstance(key, str) else key, obj.get("eTag"))
        )
    return jobs


def _r2_event(body: dict[str, Any]) -> list[Job]:
    if body.get("action") not in R2_CREATE_ACTIONS:
        return []
    obj = body.get("object")
    if not isinstance(obj, dict):
        raise MalformedMessage("object is missing")
    return _object_job(obj.get("key"), obj.get("eTag"))


def _own(body: dict[str, Any]) -> list[Job]:
    kind = body["type"]
    if kind == "process_document":
        etag = body.get("etag")
        return [
            DocumentJob(
                document_id=_uuid(body.get("document_id"), "document_id"),
                etag=normalize_etag(etag if isinstance(etag, str) else None),
            )
        ]
    if kind == "process_lesson":
        return [LessonJob(_uuid(body.get("lesson_id"), "lesson_id"))]
    raise MalformedMessage(f"unknown message type {kind!r}")


def parse_body(body: dict[str, Any]) -> list[Job]:
    if "type" in body:
        return _own(body)
    if "Records" in body:
        return _s3_records(body["Records"])
    if body.get("Event") == "s3:TestEvent":
        return []  # S3 sends it once when the notification is configured
    if "action" in body and "bucket" in body:
        return _r2_event(body)
    raise MalformedMessage("not a known ingest message")


def parse_message(text: str) -> list[Job]:
    """The jobs in one queue message body (JSON text); an empty list means ignore it."""
    try:
        body = json.loads(text)
    except (TypeError, ValueError):
        raise MalformedMessage("body is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedMessage("body is not a JSON object")
    return parse_body(body)

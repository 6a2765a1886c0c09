"""Document bodies: what a client may send to start an upload, and what it gets back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from lectern.documents.models import DocumentStatus

MAX_FILENAME = 255
MAX_CONTENT_TYPE = 255


def display_filename(value: str) -> str:
    """The last part of a client path (``C:\\x\\notes.pdf`` -> ``notes.pdf``), trimmed.

    The name is shown back to its owner and put in a download's Content-Disposition, never
    used as a key; control characters are refused so it cannot split a header.
    """
    name = value.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in (".", ".."):
        raise ValueError("must name a file")
    if len(name) > MAX_FILENAME:
        raise ValueError(f"must be at most {MAX_FILENAME} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError("must not contain control characters")
    return name


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: Annotated[str, Field(min_length=1, max_length=4096)]
    content_type: Annotated[str, Field(min_length=1, max_length=MAX_CONTENT_TYPE)]
    # Strict: "100" or 1.5 is not a size. The upper limit is a 413, checked by the service.
    size_bytes: Annotated[StrictInt, Field(ge=1)]
    course_id: uuid.UUID | None = None

    @field_validator("filename")
    @classmethod
    def _filename(cls, value: str) -> str:
        return display_filename(value)


class UploadOut(BaseModel):
    url: str
    method: Literal["PUT"] = "PUT"
    # Send exactly these with the PUT: all are part of the signature. If-None-Match makes
    # the key write-once: a second PUT is refused (412) unless the check deleted the first.
    headers: dict[str, str]
    expires_at: datetime


class DocumentCreatedOut(BaseModel):
    id: uuid.UUID
    status: DocumentStatus
    upload: UploadOut


class CompleteOut(BaseModel):
    status: DocumentStatus


class DocumentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    course_id: uuid.UUID | None
    status: DocumentStatus
    chunk_count: int
    page_count: int | None
    # Why the upload was refused or processing failed, in words for the owner.
    error: str | None = None
    created_at: datetime
    updated_at: datetime


class DownloadOut(BaseModel):
    url: str
    expires_at: datetime


class ResourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_id: uuid.UUID = Field(description="One of the caller's own documents, ready.")


class ResourceCreatedOut(BaseModel):
    id: uuid.UUID
    lesson_id: uuid.UUID
    document_id: uuid.UUID
    filename: str


class ResourceOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int


class ResourceListOut(BaseModel):
    items: list[ResourceOut]

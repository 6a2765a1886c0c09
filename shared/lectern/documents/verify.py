"""Checks that an uploaded object is what its document declared, before anything reads it.

The presigned PUT already binds type and length, but the bytes are the client's: a PDF
declared and a text file sent would reach the parser. ``check_object`` compares the
object's metadata with the document and sniffs its first bytes. The ingest function calls
it too, so the rules live here once.
"""

from __future__ import annotations

import codecs
import re

from lectern.documents.models import Document
from lectern.storage.factory import get_storage

SNIFF_BYTES = 2048

_TEXT_TYPES = frozenset({"text/plain", "text/markdown"})
_UTF8_BOM = b"\xef\xbb\xbf"
# An HTML document opens, after a BOM, whitespace and comments, with a doctype or a tag.
_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]|<[a-z][a-z0-9-]*[\s/>]", re.IGNORECASE)


class ObjectMismatch(Exception):
    """The object does not match its document; ``reason`` is a sentence for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def media_type(value: str | None) -> str:
    """``Text/HTML; charset=utf-8`` -> ``text/html``."""
    return (value or "").split(";", 1)[0].strip().lower()


def charset(value: str | None) -> str | None:
    """``text/plain; charset="UTF-8"`` -> ``utf-8``; None when no charset is given."""
    for param in (value or "").split(";")[1:]:
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            return raw.strip().strip('"').lower() or None
    return None


def _is_text(sample: bytes, *, truncated: bool) -> bool:
    if b"\x00" in sample:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        # Not final when the sample was cut: a multibyte character split by the cut is
        # buffered instead of refused.
        decoder.decode(sample, final=not truncated)
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_html(sample: bytes, *, truncated: bool) -> bool:
    rest = sample.removeprefix(_UTF8_BOM)
    while True:
        rest = rest.lstrip()
        if not rest.startswith(b"<!--"):
            break
        end = rest.find(b"-->", 4)
        if end < 0:
            # A comment longer than the sample: nothing refutes HTML yet.
            return truncated
        rest = rest[end + 3 :]
    if truncated and len(rest) < 16 and rest.startswith(b"<"):
        return True  # cut inside the first tag
    return _HTML_START.match(rest) is not None


def sniff_mismatch(content_type: str, sample: bytes, *, truncated: bool) -> str | None:
    """Why the first bytes do not look like ``content_type``, or None if they do.

    ``truncated`` says the sample is a prefix of a longer object.
    """
    kind = media_type(content_type)
    if kind == "application/pdf":
        if not sample.startswith(b"%PDF-"):
            return "The file is not a PDF."
        return None
    if kind in _TEXT_TYPES or kind == "text/html":
        if not _is_text(sample, truncated=truncated):
            return "The file is not UTF-8 text."
        if kind == "text/html" and not _looks_like_html(sample, truncated=truncated):
            return "The file does not look like an HTML page."
        return None
    return "This type of file is not accepted."


def check_object(document: Document) -> str:
    """Check the uploaded object against the document; return its ETag, unquoted.

    Raises ObjectMismatch with a reason for the user, or DependencyUnavailable("storage")
    if the store does not answer.
    """
    head = get_storage().head_object(document.object_key)
    if head is None:
        raise ObjectMismatch("The upload was not found.")
    size = int(head.get("ContentLength", -1))
    if size != document.size_bytes:
        raise ObjectMismatch(
            f"The upload is {size} bytes, but {document.size_bytes} bytes were declared."
        )
    if media_type(head.get("ContentType")) != media_type(document.content_type):
        raise ObjectMismatch(
            f"The upload was sent as {media_type(head.get('ContentType')) or 'no type'}, "
            f"but {media_type(document.content_type)} was declared."
        )
    sample = get_storage().get_object_range(document.object_key, SNIFF_BYTES)
    if sample is None:
        raise ObjectMismatch("The upload was not found.")
    reason = sniff_mismatch(document.content_type, sample, truncated=size > len(sample))
    if reason:
        raise ObjectMismatch(reason)
    return str(head.get("ETag", "")).strip('"')


def delete_object(key: str) -> None:
    """Delete the object (a missing one is fine); DependencyUnavailable if storage is down."""
    get_storage().delete_object(key)

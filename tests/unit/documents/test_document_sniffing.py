"""The rules that decide whether an upload's first bytes look like its declared type,
and the names a client sends: no I/O."""

from urllib.parse import unquote

import pytest

from lectern.documents.schemas import display_filename
from lectern.documents.service import content_disposition, object_key
from lectern.documents.verify import SNIFF_BYTES, charset, media_type, sniff_mismatch


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("text/plain", "text/plain"),
        ("Text/HTML; charset=UTF-8", "text/html"),
        ("  application/pdf ", "application/pdf"),
        (None, ""),
    ],
)
def test_media_type_drops_parameters_and_case(declared: str | None, expected: str) -> None:
    assert media_type(declared) == expected


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("text/plain", None),
        ("text/plain; charset=UTF-8", "utf-8"),
        ('text/html; Charset="ISO-8859-1"', "iso-8859-1"),
        ("text/plain; format=flowed; charset=us-ascii", "us-ascii"),
        ("text/plain; charset=", None),
    ],
)
def test_charset_is_read_from_the_parameters(declared: str, expected: str | None) -> None:
    assert charset(declared) == expected


def test_pdf_needs_its_magic_at_the_start() -> None:
    assert sniff_mismatch("application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", truncated=True) is None
    assert sniff_mismatch("application/pdf", b"Hello, I am text", truncated=False)
    # Junk before the header is refused: the parser would be handed something else.
    assert sniff_mismatch("application/pdf", b"\n%PDF-1.7", truncated=False)
    assert sniff_mismatch("application/pdf", b"", truncated=False)


@pytest.mark.parametrize("kind", ["text/plain", "text/markdown", "text/plain; charset=utf-8"])
def test_text_must_be_utf8_without_nul(kind: str) -> None:
    assert sniff_mismatch(kind, "# Café notes\n".encode(), truncated=False) is None
    assert sniff_mismatch(kind, b"\xef\xbb\xbfwith a BOM", truncated=False) is None
    assert sniff_mismatch(kind, "Latin-1 café".encode("latin-1"), truncated=False)
    assert sniff_mismatch(kind, b"abc\x00def", truncated=False)
    assert sniff_mismatch(kind, "UTF-16".encode("utf-16"), truncated=False)
    assert sniff_mismatch(kind, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", truncated=True)


def test_a_multibyte_character_cut_by_the_sample_is_allowed_only_when_cut() -> None:
    text = ("a" * (SNIFF_BYTES - 1) + "é").encode()  # é is two bytes: the sample cuts it
    sample = text[:SNIFF_BYTES]
    assert sniff_mismatch("text/plain", sample, truncated=True) is None
    # The same bytes as a whole file end in half a character: not UTF-8.
    assert sniff_mismatch("text/plain", sample, truncated=False)
    # Invalid bytes before the end are refused even in a prefix.
    assert sniff_mismatch("text/plain", b"ok \xff ok", truncated=True)


@pytest.mark.parametrize(
    "html",
    [
        b"<!DOCTYPE html><html><body>x</body></html>",
        b"<!doctype HTML>\n<title>x</title>",
        b"\xef\xbb\xbf  \n<html lang='en'>",
        b"<!-- generated --> \n <!-- twice -->\n<!DOCTYPE html>",
        b"<body><p>fragment</p></body>",
        b"<p>just a paragraph</p>",
    ],
)
def test_html_starts_with_a_doctype_or_a_tag(html: bytes) -> None:
    assert sniff_mismatch("text/html", html, truncated=False) is None


@pytest.mark.parametrize(
    "not_html",
    [
        b"# A markdown title",
        b"plain words <b>later</b>",
        b"<!-- a comment and then --> just text",
        b"<?xml version='1.0'?><svg/>",
        b"< html>",
        b"<!DOCTYPE html\x00>",
    ],
)
def test_other_text_is_not_html(not_html: bytes) -> None:
    assert sniff_mismatch("text/html", not_html, truncated=False)


def test_an_unclosed_comment_is_only_forgiven_when_the_sample_was_cut() -> None:
    opening = b"<!-- " + b"x" * 3000
    assert sniff_mismatch("text/html", opening[:SNIFF_BYTES], truncated=True) is None
    assert sniff_mismatch("text/html", b"<!-- never closed", truncated=False)


def test_undeclared_types_never_pass() -> None:
    assert sniff_mismatch("application/zip", b"PK\x03\x04", truncated=False)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("notes.pdf", "notes.pdf"),
        ("  spaced name.md ", "spaced name.md"),
        ("C:\\Users\\me\\Desktop\\thesis.pdf", "thesis.pdf"),
        ("../../etc/passwd", "passwd"),
        ("dir/sub/ünïcødé 文件.txt", "ünïcødé 文件.txt"),
    ],
)
def test_filenames_keep_only_their_last_part(sent: str, kept: str) -> None:
    assert display_filename(sent) == kept


@pytest.mark.parametrize("bad", ["", "   ", "folder/", "..", "a\r\nSet-Cookie: x", "x" * 256])
def test_bad_filenames_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="must"):
        display_filename(bad)


def test_content_disposition_quotes_any_name_safely() -> None:
    value = content_disposition('rapport "final" été%20.pdf')
    fallback, encoded = value.split("; filename*=UTF-8''")
    assert fallback == 'attachment; filename="rapport _final_ _t__20.pdf"'
    assert unquote(encoded) == 'rapport "final" été%20.pdf'
    # Nothing in the encoded part can end the header value or start a new parameter.
    assert not set(encoded) & set(' ";\\')
    assert content_disposition("文件.pdf").startswith('attachment; filename="__.pdf"')


def test_keys_are_made_by_the_server() -> None:
    import uuid

    owner, doc = uuid.uuid4(), uuid.uuid4()
    assert object_key(owner, doc) == f"documents/{owner}/{doc}"

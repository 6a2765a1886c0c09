"""Text out of uploaded files: PDF (pypdf), Markdown, HTML and plain text.

The text that comes out keeps the structure chunking needs: a blank line between blocks
(paragraphs, headings, pages), a single line break between items that stand alone (list
items, table rows, code lines), and soft-wrapped lines joined back into one line so a
sentence is never cut by the file's line width.

A file that cannot be read raises ``Unreadable`` with a sentence its owner can act on;
retrying such a file cannot help, so the pipeline marks the document failed instead.
A file over one of the ``Limits`` (pages, characters, unpacked bytes, time) raises
``OverLimit``, an ``Unreadable``, as soon as the cap is crossed: a small upload can
unpack to gigabytes, so nothing is read whole and checked afterwards.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

ENCRYPTED = "This PDF is password-protected; remove the password and upload it again."
DAMAGED = "This PDF could not be read; the file may be damaged. Export it again and re-upload it."
NO_PDF_TEXT = (
    "No text was found in this PDF; scanned pages are images, which cannot be searched yet."
)
NOT_UTF8 = "The file is not UTF-8 text; save it as UTF-8 and upload it again."
NO_TEXT = "The file has no text to index."


class Unreadable(Exception):
    """The file cannot become text; ``reason`` tells its owner why, in a sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OverLimit(Unreadable):
    """The file is over a cap on what one document may cost; ``limit`` names the cap
    (``pages``, ``characters``, ``expansion``, ``time``, ``chunks``) for the metrics."""

    def __init__(self, limit: str, reason: str) -> None:
        super().__init__(reason)
        self.limit = limit


_SPLIT = "Split it into smaller files and upload those."


def too_many_pages(pages: int, limit: int) -> OverLimit:
    return OverLimit("pages", f"The PDF has {pages:,} pages; the limit is {limit:,}. {_SPLIT}")


def too_much_text(limit: int) -> OverLimit:
    return OverLimit(
        "characters",
        f"The file has more than {limit:,} characters of text; the limit is {limit:,}. {_SPLIT}",
    )


def too_many_chunks(limit: int) -> OverLimit:
    return OverLimit(
        "chunks",
        f"The file's text makes more than {limit:,} passages to index; the limit is {limit:,}. "
        + _SPLIT,
    )


def unpacks_too_far(ratio: float) -> OverLimit:
    return OverLimit(
        "expansion",
        f"The PDF unpacks to more than {ratio:g} times its own size, which documents do not; "
        "it was not read. If it is a real document, print it to a new PDF and upload that.",
    )


def too_slow(seconds: float) -> OverLimit:
    return OverLimit(
        "time",
        f"Reading the file took longer than {seconds:g} seconds, the most one document may "
        f"take. {_SPLIT}",
    )


@dataclass(frozen=True)
class Limits:
    """Caps on reading one file; None is no cap. ``deadline`` is a ``time.monotonic()``
    value, the end of the ``seconds`` the job was given."""

    max_pages: int | None = None
    max_characters: int | None = None
    # Bytes unpacked from the file's streams, and characters of text, per byte uploaded.
    max_expansion: float | None = None
    seconds: float | None = None
    deadline: float | None = None

    @classmethod
    def starting_now(
        cls, *, max_pages: int, max_characters: int, max_expansion: float, seconds: float
    ) -> Limits:
        return cls(max_pages, max_characters, max_expansion, seconds, time.monotonic() + seconds)

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise too_slow(self.seconds or 0)

    def check_characters(self, count: int) -> None:
        if self.max_characters is not None and count > self.max_characters:
            raise too_much_text(self.max_characters)


NO_LIMITS = Limits()


@dataclass(frozen=True)
class Extracted:
    text: str
    page_count: int | None = None


def extract(data: bytes, content_type: str, limits: Limits = NO_LIMITS) -> Extracted:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/pdf":
        return extract_pdf(data, limits)
    if kind in ("text/markdown", "text/x-markdown"):
        text = markdown_to_text(decode_text(data), limits)
    elif kind == "text/html":
        text = html_to_text(decode_text(data), limits)
    elif kind == "text/plain":
        text = join_soft_wraps(decode_text(data))
    else:
        raise Unreadable(
            f"Files of type {kind or 'unknown'} cannot be read; "
            "upload a PDF, Markdown, HTML or plain text file."
        )
    # Text formats unpack nothing: their work is linear in an upload already capped in
    # size, so the characters are counted once, here.
    text = tidy(text)
    limits.check_characters(len(text))
    limits.check_time()
    if not text:
        raise Unreadable(NO_TEXT)
    return Extracted(text)


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # a BOM, if any, is dropped
    except UnicodeDecodeError:
        raise Unreadable(NOT_UTF8) from None


# Control characters other than tab and newline (Postgres text refuses NUL outright).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def tidy(text: str) -> str:
    """One space between words, no trailing spaces, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


# --- soft wraps (plain text, PDF) -------------------------------------------------------

_LIST_ITEM = re.compile(r"^\s*(?:[-*+\u2022\u25aa\u2013]|\(?\d{1,3}[.)]|[a-z][.)])\s+")
_HYPHENATED = re.compile(r"[^\W\d_]-$")


def join_soft_wraps(text: str) -> str:
    """Join lines wrapped at the file's width back into paragraphs.

    A blank line ends a paragraph; a line that starts like a list item starts a new line.
    A word hyphenated across the wrap ("exam-" / "ple") is joined whole.
    """
    out: list[str] = []
    # The paragraph being joined, in pieces: joined once at its end, since adding to one
    # growing string (or searching it) line by line is quadratic in a paragraph's length.
    parts: list[str] = []

    def flush() -> None:
        if parts:
            out.append("".join(parts))
            parts.clear()

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
            out.append("")
        elif not parts:
            parts.append(line)
        elif _LIST_ITEM.match(line):
            flush()
            parts.append(line)
        elif _HYPHENATED.search(parts[-1][-2:]) and line[:1].islower():
            parts[-1] = parts[-1][:-1]
            parts.append(line)
        else:
            parts.extend((" ", line))
    flush()
    return "\n".join(out)


# --- PDF --------------------------------------------------------------------------------


# The most a PDF's decoders may produce from one stream, whatever the file's size
# (pypdf's own default): the per-file expansion bound is usually far lower.
_MAX_STREAM_BYTES = 75_000_000
# Operators of a content stream between two looks at the clock: pypdf's text extraction
# grows faster than linearly with a page's text, so a page is watched while it is read.
_OPERATORS_PER_CLOCK_CHECK = 64


class _PdfReading:
    """What one PDF has cost so far, against its limits; raises OverLimit past one."""

    def __init__(self, limits: Limits, size: int) -> None:
        self.limits = limits
        self.max_unpacked = (
            None if limits.max_expansion is None else int(limits.max_expansion * max(size, 1))
        )
        self.unpacked = 0
        self.characters = 0
        self.page_characters = 0
        self.operators = 0

    @property
    def stream_limit(self) -> int:
        # One byte over the bound tells "too far" (pypdf raises) from "just fits".
        if self.max_unpacked is None:
            return _MAX_STREAM_BYTES
        return min(_MAX_STREAM_BYTES, self.max_unpacked + 1)

    def add_unpacked(self, count: int) -> None:
        self.unpacked += count
        if self.max_unpacked is not None and self.unpacked > self.max_unpacked:
            raise unpacks_too_far(self.limits.max_expansion or 0)

    def add_text(self, count: int) -> None:
        self.characters += count
        self.limits.check_characters(self.characters)
        if self.max_unpacked is not None and self.characters > self.max_unpacked:
            raise unpacks_too_far(self.limits.max_expansion or 0)

    # pypdf's visitors: called for every operator, and for every piece of text shown.
    def operator(self, *_args: Any) -> None:
        self.operators += 1
        if self.operators % _OPERATORS_PER_CLOCK_CHECK == 0:
            self.limits.check_time()

    def text_piece(self, text: Any, *_args: Any) -> None:
        self.page_characters += len(text)
        self.limits.check_characters(self.characters + self.page_characters)


@contextmanager
def _pdf_limits(reading: _PdfReading) -> Iterator[None]:
    """pypdf's decoders stop (LimitReachedError) past the bound, instead of unpacking a
    bomb whole into memory first."""
    from pypdf import apply_configuration

    bound = reading.stream_limit
    with apply_configuration(
        zlib_maximum_output_length=bound,
        lzw_maximum_output_length=bound,
        run_length_maximum_output_length=bound,
        brotli_maximum_output_length=bound,
        array_based_stream_maximum_output_length=bound,
    ):
        yield


def _declared_page_count(reader: Any) -> int | None:
    """The page tree's own /Count, read before the tree is walked (it may lie: the walk
    counts again)."""
    try:
        count = reader.root_object["/Pages"].get_object().get("/Count")
    except Exception:
        return None
    return int(count) if isinstance(count, int) else None


def extract_pdf(data: bytes, limits: Limits = NO_LIMITS) -> Extracted:
    from pypdf.errors import LimitReachedError

    reading = _PdfReading(limits, len(data))
    try:
        with _pdf_limits(reading):
            return _read_pdf(data, limits, reading)
    except LimitReachedError:
        # A stream past the bound, or a structure past pypdf's own caps: either way the
        # file asks for far more work than its size, and none of it is done.
        if limits.max_expansion is None:
            raise Unreadable(DAMAGED) from None
        raise unpacks_too_far(limits.max_expansion) from None


def _open_pdf(data: bytes, limits: Limits) -> list[Any]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError):
                raise Unreadable(ENCRYPTED) from None
            if not opened:
                raise Unreadable(ENCRYPTED)
        if limits.max_pages is not None:
            declared = _declared_page_count(reader)
            if declared is not None and declared > limits.max_pages:
                raise too_many_pages(declared, limits.max_pages)
        pages = list(reader.pages)
    except (Unreadable, LimitReachedError):
        raise
    except Exception as exc:  # pypdf reports damage through many exception types
        raise Unreadable(DAMAGED) from exc
    if limits.max_pages is not None and len(pages) > limits.max_pages:
        raise too_many_pages(len(pages), limits.max_pages)
    return pages


def _read_pdf(data: bytes, limits: Limits, reading: _PdfReading) -> Extracted:
    from pypdf.errors import LimitReachedError

    pages = _open_pdf(data, limits)
    texts: list[str] = []
    for page in pages:
        limits.check_time()
        reading.page_characters = 0
        try:
            contents = page.get_contents()
            # Decoded once here and kept on the stream object: extraction reuses it.
            reading.add_unpacked(len(contents.get_data()) if contents is not None else 0)
            text = page.extract_text(
                visitor_operand_before=reading.operator, visitor_text=reading.text_piece
            )
        except (OverLimit, LimitReachedError):
            raise
        except Exception:  # noqa: S112 - one bad page must not lose the others
            continue
        text = join_soft_wraps(text or "")
        reading.add_text(len(text))
        texts.append(text)
    text = tidy("\n\n".join(texts))
    if not text:
        raise Unreadable(NO_PDF_TEXT)
    return Extracted(text, page_count=len(pages))


# --- Markdown ---------------------------------------------------------------------------

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+(.*?))?\s*#*\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_MD_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")

_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_IMAGE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_EM_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


_ESCAPABLE = "\\`*_{}[]()#+-.!|>~"
# Escaped characters wait in the private-use area while emphasis is undone.
_HIDE = {c: chr(0xE000 + i) for i, c in enumerate(_ESCAPABLE)}
_SHOW = str.maketrans({v: k for k, v in _HIDE.items()})


def _strip_emphasis(text: str) -> str:
    text = _ESCAPE.sub(lambda m: _HIDE[m.group(1)], _HTML_TAG.sub("", text))
    for pattern, group in ((_STRONG, r"\2"), (_EM_STAR, r"\1"), (_EM_UNDERSCORE, r"\1")):
        text = pattern.sub(group, text)
    return _STRIKE.sub(r"\1", text).translate(_SHOW)


def strip_inline(line: str) -> str:
    """Markdown inline syntax to its text: links keep their words, images go, code stays."""
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    # Code spans are kept verbatim: emphasis and escapes are only undone outside them.
    pieces: list[str] = []
    last = 0
    for match in _INLINE_CODE.finditer(line):
        pieces.append(_strip_emphasis(line[last : match.start()]))
        pieces.append(match.group(2).strip())
        last = match.end()
    pieces.append(_strip_emphasis(line[last:]))
    return "".join(pieces).strip()


class _MarkdownText:
    """A line-by-line pass over Markdown's block structure."""

    def __init__(self) -> None:
        self.out: list[str] = []
        # The paragraph or list item being joined, in pieces (joined once, at its end).
        self.current: list[str] | None = None
        self.fence: str | None = None

    def take(self) -> str:
        text, self.current = " ".join(self.current or ()).strip(), None
        return text

    def flush(self) -> None:
        text = self.take()
        if text:
            self.out.append(text)

    def block(self, text: str) -> None:
        self.flush()
        self.out.extend(["", text, ""])

    def feed(self, raw: str) -> None:
        if self.fence is not None:
            self._code(raw)
            return
        fence = _FENCE.match(raw)
        if fence:
            self.flush()
            self.out.append("")
            self.fence = fence.group(1)[0] * 3
            return
        line = _QUOTE.sub("", raw)
        if not line.strip():
            self.flush()
            self.out.append("")
        elif self.current is not None and _SETEXT_UNDERLINE.match(line):
            self.block(self.take())
        elif heading_match := _ATX_HEADING.match(line):
            self.block(strip_inline(heading_match.group(1) or ""))
        elif _REFERENCE_DEF.match(line) or (_TABLE_SEPARATOR.match(line) and "-" in line):
            return
        else:
            self._text(line)

    def _code(self, raw: str) -> None:
        if raw.strip().startswith(self.fence or "```"):
            self.fence = None
            self.out.append("")
        else:
            self.out.append(raw.rstrip())

    def _text(self, line: str) -> None:
        if line.lstrip().startswith("|"):
            self.flush()
            cells = [strip_inline(c) for c in line.strip().strip("|").split("|")]
            self.out.append("; ".join(c for c in cells if c))
        elif _RULE.match(line):
            self.flush()
            self.out.append("")
        elif item := _MD_LIST_ITEM.match(line):
            self.flush()
            self.current = [strip_inline(line[item.end() :])]
        else:
            text = strip_inline(line)
            if self.current is None:
                self.current = [text]
            else:
                self.current.append(text)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


# Lines of Markdown, or characters of HTML, between two looks at the clock.
_LINES_PER_CLOCK_CHECK = 4096
_HTML_SLICE = 256 * 1024


def markdown_to_text(markdown: str, limits: Limits = NO_LIMITS) -> str:
    parser = _MarkdownText()
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    # YAML front matter (Jekyll, Hugo, Obsidian) is metadata, not text.
    markdown = _FRONT_MATTER.sub("", markdown, count=1)
    for number, raw in enumerate(markdown.split("\n")):
        if number % _LINES_PER_CLOCK_CHECK == 0:
            limits.check_time()
        parser.feed(raw)
    parser.flush()
    return "\n".join(parser.out)


# --- HTML -------------------------------------------------------------------------------

_SKIPPED = {"script", "style", "noscript", "template", "svg", "iframe", "object", "head"}
_KEPT_IN_HEAD = {"title"}
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "details", "dialog",
    "div", "dl", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "html", "main", "nav", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "tfoot", "thead", "title", "ul",
}  # fmt: skip
_LINES = {"br", "li", "dt", "dd", "tr", "option"}
_CELLS = {"td", "th"}
_WHITESPACE = re.compile(r"\s+")


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skipping: list[str] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and self.skipping == ["head"]:
            self.skipping.clear()  # an unclosed <head> ends where the body starts
        if tag in _SKIPPED:
            self.skipping.append(tag)
        elif tag in _KEPT_IN_HEAD and self.skipping == ["head"]:
            self.skipping.append(tag)  # <title> is read even though <head> is skipped
            self.pieces.append("\n\n")
        self._break(tag)
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
            if tag in _KEPT_IN_HEAD:
                self.pieces.append("\n\n")
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag not in _LINES:  # an item's line break comes before it, not after
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.skipping and self.skipping[-1] not in _KEPT_IN_HEAD:
            return
        self.pieces.append(data if self.pre else _WHITESPACE.sub(" ", data))

    def _break(self, tag: str) -> None:
        if self.skipping:
            return
        if tag in _BLOCKS:
            self.pieces.append("\n\n")
        elif tag in _LINES:
            self.pieces.append("\n")
        elif tag in _CELLS:
            self.pieces.append(" ")


def html_to_text(html: str, limits: Limits = NO_LIMITS) -> str:
    parser = _HTMLText()
    # The parser takes its input in pieces (a tag cut in two is held over), so the clock
    # is looked at between them.
    for start in range(0, len(html), _HTML_SLICE):
        limits.check_time()
        parser.feed(html[start : start + _HTML_SLICE])
    parser.close()
    return "".join(parser.pieces)

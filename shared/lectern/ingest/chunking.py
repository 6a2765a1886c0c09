"""Cutting text into overlapping chunks on sentence boundaries.

A chunk holds whole sentences up to about ``chunk_words`` words; the next chunk starts
with the previous one's trailing sentences that fit in ``overlap_words`` words, so a
passage cut at a boundary is still found whole in one of the two. A sentence longer than
a chunk is cut by words. Line breaks in the extracted text are boundaries too (see
``lectern.ingest.extract``: soft wraps are already joined), and are kept in the chunk.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

# Common abbreviations whose period does not end a sentence.
_ABBREVIATIONS = frozenset({
    "e.g", "i.e", "etc", "vs", "cf", "al", "approx", "dr", "mr", "mrs", "ms", "prof", "st",
    "jr", "sr", "fig", "figs", "eq", "eqs", "no", "nos", "vol", "pp", "ch", "sec", "dept",
    "inc", "ltd", "co", "corp", "mt",
})  # fmt: skip
# Sentence-ending punctuation, any closing quotes or brackets, then the gap after it.
# CJK full stops need no space after them.
_BOUNDARY = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*\s+|[\u3002\uff01\uff1f]+\s*")
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]?")

# Separators kept between sentences in a chunk: same line, new line, new paragraph.
_SEPARATORS = (" ", "\n", "\n\n")


@dataclass(frozen=True)
class TextChunk:
    position: int
    content: str
    word_count: int
    token_count: int


@dataclass(frozen=True)
class _Sentence:
    text: str
    words: int
    gap: int  # what separates it from the sentence before: index into _SEPARATORS


def estimate_tokens(text: str) -> int:
    """A fair token count without a tokenizer.

    Subword tokenizers (OpenAI's cl100k, Titan's) average about four characters or three
    quarters of a word per token in English prose. The larger of the two estimates is
    taken, so budgets built on it err on the safe side for code and long words.
    """
    if not text:
        return 0
    return math.ceil(max(len(text) / 4, len(text.split()) * 4 / 3))


# Characters read back from a period for the word before it: abbreviations, initials and
# list numbers are short, and reading back to the sentence's start instead would make a
# long line of "Dr. Dr. Dr." quadratic.
_WORD_WINDOW = 64


def _ends_sentence(line: str, start: int, match: re.Match[str]) -> bool:
    end = match.end()
    if end >= len(line) or line[end].islower():
        return False
    if line[match.start()] != ".":
        return True
    stop = match.start() + 1
    words = line[max(start, stop - _WORD_WINDOW) : stop].split()
    if not words:
        return False
    word = words[-1].strip("\"'([\u201c\u2018").rstrip(".")
    if word.lower() in _ABBREVIATIONS or _INITIALS.fullmatch(word + "."):
        return False
    if not word.isdigit():
        return True
    # "1. Introduction": a list number at the start of a line is no sentence. (Read once
    # per sentence end at most: a number with words before it ends the sentence.)
    return bool(line[start : stop - len(words[-1])].strip())


def split_sentences(line: str) -> list[str]:
    """The sentences of one line of text."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        if _ends_sentence(line, start, match):
            sentences.append(line[start : match.end()].strip())
            start = match.end()
    tail = line[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def _sentences(text: str, max_words: int) -> Iterator[_Sentence]:
    gap = 0
    for line in text.split("\n"):
        if not line.strip():
            gap = 2 if gap else 0
            continue
        for sentence in split_sentences(line):
            words = sentence.split()
            # A sentence longer than a chunk is cut by words.
            for start in range(0, len(words), max_words):
                piece = words[start : start + max_words]
                yield _Sentence(" ".join(piece), len(piece), gap)
                gap = 0
        gap = max(gap, 1)


def _join(sentences: list[_Sentence]) -> str:
    parts = [sentences[0].text]
    for sentence in sentences[1:]:
        parts.append(_SEPARATORS[sentence.gap] + sentence.text)
    return "".join(parts)


def _overlap(sentences: list[_Sentence], overlap_words: int) -> list[_Sentence]:
    """The trailing whole sentences that fit in ``overlap_words`` (never the whole chunk)."""
    taken: list[_Sentence] = []
    total = 0
    for sentence in reversed(sentences[1:]):
        if total + sentence.words > overlap_words:
            break
        taken.insert(0, sentence)
        total += sentence.words
    return taken


def chunk_text(
    text: str, chunk_words: int = 180, overlap_words: int = 30, *, max_chunks: int | None = None
) -> list[TextChunk]:
    """The chunks of ``text``; with ``max_chunks``, cutting stops at one chunk past it
    (more than ``max_chunks`` returned means the text is over the cap)."""
    if chunk_words < 1 or overlap_words < 0:
        raise ValueError("chunk_words must be positive and overlap_words not negative")
    overlap_words = min(overlap_words, chunk_words // 2)
    chunks: list[TextChunk] = []
    current: list[_Sentence] = []
    words = 0
    fresh = 0  # sentences in `current` that no earlier chunk holds

    def emit() -> None:
        content = _join(current)
        chunks.append(TextChunk(len(chunks), content, words, estimate_tokens(content)))

    for sentence in _sentences(text, chunk_words):
        if fresh and words + sentence.words > chunk_words:
            emit()
            if max_chunks is not None and len(chunks) > max_chunks:
                return chunks
            current = _overlap(current, overlap_words)
            # The carried sentences give way to a long next sentence.
            while current and sum(s.words for s in current) + sentence.words > chunk_words:
                current.pop(0)
            words = sum(s.words for s in current)
            fresh = 0
        current.append(sentence)
        words += sentence.words
        fresh += 1
    if fresh:
        emit()
    return chunks

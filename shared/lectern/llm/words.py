"""Words and sentences of plain text, as the local adapters read them: content words
(stop words dropped, light stems) and sentences (markup trimmed)."""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+", re.UNICODE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
MARKUP = re.compile(r"^[\s#>*\-+|`]+|[*_`]+")
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before
    being between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my no nor not now of off on once only or other our out over own same
    she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom
    why will with would you your yours explain describe tell give define meaning mean""".split()  # noqa: SIM905 - a word list reads best as words
)
SUFFIXES = ("ies", "ing", "ed", "es", "s")


def stem(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def terms(text: str) -> set[str]:
    return {stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


def sentences(passage: str) -> list[str]:
    out = []
    for raw in SENTENCE_END.split(passage):
        sentence = MARKUP.sub("", raw).strip()
        if len(WORD.findall(sentence)) >= 2:
            out.append(sentence)
    return out

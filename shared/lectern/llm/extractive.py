"""The local answerer: quotes the passages' sentences that best match the question.

No model and no network: it is the default locally and in tests, and an honest fallback.
A sentence scores by the question's content words it contains; a word matches its light
stem or a near spelling (character trigrams), so "mitocondria" still finds "mitochondria".
The best sentences are quoted in passage order with ``[n]`` markers; when nothing matches,
it says so instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lectern.llm.port import NO_ANSWER, Answer, estimate_tokens

MODEL = "local-extractive"
MAX_SENTENCES = 3
MAX_SENTENCE_CHARS = 400
# A sentence must match at least this share of the best sentence's score to be quoted.
RELATIVE_CUTOFF = 0.5
# Trigram overlap (Jaccard) for two spellings of one word; short words must match exactly.
FUZZY_MIN_LENGTH = 5
FUZZY_JACCARD = 0.5

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


def _trigrams(word: str) -> set[str]:
    padded = f"^{word}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _matches(term: str, sentence_terms: set[str]) -> bool:
    if term in sentence_terms:
        return True
    if len(term) < FUZZY_MIN_LENGTH:
        return False
    grams = _trigrams(term)
    for other in sentence_terms:
        if len(other) >= FUZZY_MIN_LENGTH:
            theirs = _trigrams(other)
            if len(grams & theirs) / len(grams | theirs) >= FUZZY_JACCARD:
                return True
    return False


@dataclass(frozen=True)
class _Candidate:
    passage: int
    position: int
    text: str
    score: int


def sentences(passage: str) -> list[str]:
    out = []
    for raw in SENTENCE_END.split(passage):
        sentence = MARKUP.sub("", raw).strip()
        if len(WORD.findall(sentence)) >= 2:
            out.append(sentence)
    return out


def _quote(sentence: str) -> str:
    if len(sentence) > MAX_SENTENCE_CHARS:
        sentence = sentence[: MAX_SENTENCE_CHARS - 1].rstrip() + "…"
    return f'"{sentence}"'


class ExtractiveAnswerer:
    model = MODEL

    def answer(self, question: str, passages: Sequence[str]) -> Answer:
        wanted = terms(question)
        candidates = [
            _Candidate(index, position, sentence, sum(_matches(t, terms(sentence)) for t in wanted))
            for index, passage in enumerate(passages)
            for position, sentence in enumerate(sentences(passage))
        ]
        best = max((c.score for c in candidates), default=0)
        input_tokens = estimate_tokens(question + "".join(passages))
        if best == 0:
            return Answer(NO_ANSWER, (), input_tokens, estimate_tokens(NO_ANSWER), MODEL)
        # Best first (earlier passages rank higher), then shown in reading order.
        chosen = sorted(
            (c for c in candidates if c.score >= best * RELATIVE_CUTOFF),
            key=lambda c: (-c.score, c.passage, c.position),
        )[:MAX_SENTENCES]
        chosen.sort(key=lambda c: (c.passage, c.position))
        lines = [f"- {_quote(c.text)} [{c.passage + 1}]" for c in chosen]
        text = "From your material:\n" + "\n".join(lines)
        cited = tuple(sorted({c.passage for c in chosen}))
        return Answer(text, cited, input_tokens, estimate_tokens(text), MODEL)

"""The local answerer: quotes the passages' sentences that best match the question.

No model and no network: it is the default locally and in tests, and an honest fallback.
A sentence scores by the question's content words it contains; a word matches its light
stem or a near spelling (character trigrams), so "mitocondria" still finds "mitochondria".
The best sentences are quoted in passage order with ``[n]`` markers; when nothing matches,
it says so instead of guessing.

In a conversation the new message's words count double and the last user turns' words
once, and among equal scores a sentence about what was being discussed wins: a
follow-up ("and after that stage?") is read in the light of what came before.
Flashcards come from ``lectern.llm.cloze``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lectern.llm.cloze import MODEL, cloze_cards
from lectern.llm.port import NO_ANSWER, Answer, Cards, Turn, estimate_tokens
from lectern.llm.words import sentences, stem, terms

__all__ = ["MODEL", "ExtractiveAnswerer", "sentences", "stem", "terms"]

MAX_SENTENCES = 3
MAX_SENTENCE_CHARS = 400
# User turns of the history whose words help read a follow-up, and their weight beside
# the new message's.
HISTORY_USER_TURNS = 2
MESSAGE_WEIGHT = 2
HISTORY_WEIGHT = 1
# A sentence must match at least this share of the best sentence's score to be quoted.
RELATIVE_CUTOFF = 0.5
# Trigram overlap (Jaccard) for two spellings of one word; short words must match exactly.
FUZZY_MIN_LENGTH = 5
FUZZY_JACCARD = 0.5


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
    # Matched words of the conversation so far (not of the new message): among equal
    # scores, a sentence about what was being discussed comes first.
    anchor: int = 0


def _quote(sentence: str) -> str:
    if len(sentence) > MAX_SENTENCE_CHARS:
        sentence = sentence[: MAX_SENTENCE_CHARS - 1].rstrip() + "…"
    return f'"{sentence}"'


def _best_sentences(
    weights: dict[str, int],
    passages: Sequence[str],
    prompt: str,
    anchors: frozenset[str] = frozenset(),
) -> Answer:
    """Quote the sentences whose matched terms weigh the most (``weights``: term -> weight);
    ties go to sentences matching more of ``anchors``, then to earlier passages."""
    candidates = []
    for index, passage in enumerate(passages):
        for position, sentence in enumerate(sentences(passage)):
            found = {t for t in weights if _matches(t, terms(sentence))}
            score = sum(weights[t] for t in found)
            candidates.append(_Candidate(index, position, sentence, score, len(found & anchors)))
    best = max((c.score for c in candidates), default=0)
    input_tokens = estimate_tokens(prompt + "".join(passages))
    if best == 0:
        return Answer(NO_ANSWER, (), input_tokens, estimate_tokens(NO_ANSWER), MODEL)
    # Best first (earlier passages rank higher), then shown in reading order.
    chosen = sorted(
        (c for c in candidates if c.score >= best * RELATIVE_CUTOFF),
        key=lambda c: (-c.score, -c.anchor, c.passage, c.position),
    )[:MAX_SENTENCES]
    chosen.sort(key=lambda c: (c.passage, c.position))
    lines = [f"- {_quote(c.text)} [{c.passage + 1}]" for c in chosen]
    text = "From your material:\n" + "\n".join(lines)
    cited = tuple(sorted({c.passage for c in chosen}))
    return Answer(text, cited, input_tokens, estimate_tokens(text), MODEL)


class ExtractiveAnswerer:
    model = MODEL

    def answer(self, question: str, passages: Sequence[str]) -> Answer:
        return _best_sentences(dict.fromkeys(terms(question), 1), passages, question)

    def converse(self, history: Sequence[Turn], message: str, passages: Sequence[str]) -> Answer:
        earlier = [t.content for t in history if t.role == "user"][-HISTORY_USER_TURNS:]
        weights = dict.fromkeys(terms(" ".join(earlier)), HISTORY_WEIGHT)
        own = terms(message)
        weights.update(dict.fromkeys(own, MESSAGE_WEIGHT))
        prompt = message + "".join(t.content for t in history)
        return _best_sentences(weights, passages, prompt, frozenset(weights) - own)

    def make_cards(self, passages: Sequence[str], count: int) -> Cards:
        return cloze_cards(passages, count)

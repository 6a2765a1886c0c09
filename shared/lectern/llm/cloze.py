"""Cloze cards from key sentences, without a model (the local adapter's flashcards).

A key term is a content word the material repeats: the more sentences carry it, the more
it is what the material is about. Each sentence of a readable length offers its best key
term; the sentences with the strongest terms become cards, the term blanked out on the
front and given on the back. A term is blanked at most ``MAX_CARDS_PER_TERM`` times, so
one word cannot fill the deck. Deterministic: the same passages give the same cards.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from lectern.llm.port import CardDraft, Cards, estimate_tokens
from lectern.llm.words import STOPWORDS, WORD, sentences, stem

# The local adapter's name in usage rows, whether it answers or writes cards.
MODEL = "local-extractive"
BLANK = "[...]"
MIN_WORDS = 6
MAX_WORDS = 45
MIN_TERM_LENGTH = 4
MAX_CARDS_PER_TERM = 2


@dataclass(frozen=True)
class _Offer:
    passage: int
    position: int
    sentence: str
    term: str  # the word as the sentence spells it
    weight: int  # sentences of the material carrying the term's stem


def _candidates(sentence: str) -> list[str]:
    return [
        w
        for w in WORD.findall(sentence)
        if len(w) >= MIN_TERM_LENGTH and not w.isdigit() and w.lower() not in STOPWORDS
    ]


def cloze_cards(passages: Sequence[str], count: int) -> Cards:
    readable = [
        (index, position, sentence)
        for index, passage in enumerate(passages)
        for position, sentence in enumerate(sentences(passage))
        if MIN_WORDS <= len(WORD.findall(sentence)) <= MAX_WORDS
    ]
    spread = Counter(
        s for _, _, sentence in readable for s in {stem(w.lower()) for w in _candidates(sentence)}
    )
    offers = []
    for index, position, sentence in readable:
        words = _candidates(sentence)
        if words:
            # The most repeated term; a longer word breaks a tie (more specific).
            term = max(words, key=lambda w: (spread[stem(w.lower())], len(w)))
            offers.append(_Offer(index, position, sentence, term, spread[stem(term.lower())]))
    offers.sort(key=lambda o: (-o.weight, o.passage, o.position))
    chosen: list[_Offer] = []
    per_term: Counter[str] = Counter()
    fronts: set[str] = set()
    for offer in offers:
        key = stem(offer.term.lower())
        front = re.sub(rf"\b{re.escape(offer.term)}\b", BLANK, offer.sentence, count=1)
        if per_term[key] >= MAX_CARDS_PER_TERM or front in fronts:
            continue
        chosen.append(offer)
        per_term[key] += 1
        fronts.add(front)
        if len(chosen) == count:
            break
    chosen.sort(key=lambda o: (o.passage, o.position))
    cards = tuple(
        CardDraft(
            front=re.sub(rf"\b{re.escape(o.term)}\b", BLANK, o.sentence, count=1),
            back=o.term,
            passage=o.passage,
        )
        for o in chosen
    )
    output = "".join(c.front + c.back for c in cards)
    return Cards(cards, estimate_tokens("".join(passages)), estimate_tokens(output), MODEL)

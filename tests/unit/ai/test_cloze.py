"""The local adapter's flashcards: cloze cards from the material's key sentences."""

from __future__ import annotations

from lectern.llm.cloze import BLANK, MAX_CARDS_PER_TERM, cloze_cards
from lectern.llm.extractive import ExtractiveAnswerer

PASSAGES = [
    "Photosynthesis turns light into chemical energy. Chlorophyll absorbs the light that "
    "photosynthesis needs, mostly red and blue light.",
    "The Calvin cycle fixes carbon dioxide into sugar during photosynthesis. It runs in the "
    "stroma of the chloroplast and uses the energy the light reactions made.",
    "Too short. # Heading",
]


def test_cards_blank_a_repeated_term_of_a_sentence_of_their_passage():
    cards = cloze_cards(PASSAGES, 10)
    assert cards.cards and cards.model == "local-extractive"
    for card in cards.cards:
        assert card.front.count(BLANK) == 1
        sentence = card.front.replace(BLANK, card.back)
        assert sentence in PASSAGES[card.passage]
    # The most repeated content word is what the first cards ask for.
    assert {c.back.lower() for c in cards.cards} & {"photosynthesis", "light"}
    assert cards.input_tokens > 0 and cards.output_tokens > 0


def test_the_count_and_the_per_term_cap_hold_and_the_result_is_stable():
    assert len(cloze_cards(PASSAGES, 1).cards) == 1
    cards = cloze_cards(PASSAGES * 3, 20).cards
    backs = [c.back.lower() for c in cards]
    assert all(backs.count(b) <= MAX_CARDS_PER_TERM for b in backs)
    assert len({c.front for c in cards}) == len(cards)  # repeated passages add no twins
    assert cloze_cards(PASSAGES, 5) == cloze_cards(PASSAGES, 5)
    assert cloze_cards([], 5).cards == ()
    assert ExtractiveAnswerer().make_cards(PASSAGES, 3) == cloze_cards(PASSAGES, 3)

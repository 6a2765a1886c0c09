"""The local extractive answerer: it quotes the passages' best sentences with [n] markers,
cites what it quotes, and says so when the material has nothing."""

from __future__ import annotations

import re

from lectern.llm.extractive import ExtractiveAnswerer, sentences, stem, terms
from lectern.llm.port import NO_ANSWER

PASSAGES = [
    "# Cell biology\nThe nucleus holds the genome. Mitochondria produce ATP through "
    "cellular respiration. Ribosomes build proteins.",
    "Plants make sugar by photosynthesis. Chloroplasts capture light.",
    "Cellular respiration releases energy from glucose in the mitochondria!",
]


def quoted(answer: str) -> list[tuple[str, int]]:
    return [(s, int(n)) for s, n in re.findall(r'"([^"]+)" \[(\d+)\]', answer)]


def test_it_quotes_matching_sentences_with_the_passage_number():
    answer = ExtractiveAnswerer().answer("How do mitochondria produce ATP?", PASSAGES)
    quotes = quoted(answer.text)
    assert ("Mitochondria produce ATP through cellular respiration.", 1) in quotes
    # Every quote is verbatim from the passage it cites.
    for sentence, number in quotes:
        assert sentence in PASSAGES[number - 1]
    assert answer.cited == tuple(sorted({n - 1 for _, n in quotes}))
    assert 1 not in answer.cited  # the photosynthesis passage says nothing about it
    assert answer.model == "local-extractive"
    assert answer.input_tokens > 0
    assert answer.output_tokens > 0


def test_the_best_matching_sentence_leads_and_weak_ones_are_left_out():
    answer = ExtractiveAnswerer().answer(
        "cellular respiration energy glucose mitochondria", PASSAGES
    )
    quotes = quoted(answer.text)
    assert ("Cellular respiration releases energy from glucose in the mitochondria!", 3) in quotes
    assert all("Ribosomes" not in s and "genome" not in s for s, _ in quotes)
    assert len(quotes) <= 3


def test_typos_still_find_the_word():
    answer = ExtractiveAnswerer().answer("what do mitocondria do", PASSAGES)
    assert answer.cited
    assert "Mitochondria" in answer.text


def test_nothing_relevant_or_no_passages_gives_a_clear_no_answer():
    none = ExtractiveAnswerer().answer("Who won the 1966 World Cup?", PASSAGES)
    assert none.text == NO_ANSWER
    assert none.cited == ()
    empty = ExtractiveAnswerer().answer("mitochondria", [])
    assert empty.text == NO_ANSWER
    assert empty.cited == ()


def test_markdown_is_not_quoted_and_stopwords_do_not_count():
    assert sentences("# Title here\n- item one two\nPlain sentence. Another one!") == [
        "Title here",
        "item one two",
        "Plain sentence.",
        "Another one!",
    ]
    assert terms("What is the role of the enzymes?") == {"role", "enzym"}
    assert stem("proteins") == "protein"
    assert stem("studies") == "study"

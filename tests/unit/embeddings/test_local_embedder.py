"""The local embedder: deterministic, unit length, and near for texts that share words."""

import math

from lectern.embeddings.local import LocalEmbedder
from lectern.embeddings.port import embed_all, normalize, vector_literal


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_are_unit_length_and_the_same_every_time():
    embedder = LocalEmbedder(128)
    [first] = embedder.embed(["Mitochondria make ATP for the cell."])
    [again] = LocalEmbedder(128).embed(["Mitochondria make ATP for the cell."])
    assert first == again
    assert len(first) == 128
    assert math.isclose(math.sqrt(sum(x * x for x in first)), 1.0, rel_tol=1e-9)


def test_shared_words_and_typos_land_nearer_than_unrelated_text():
    embedder = LocalEmbedder(256)
    query, related, typo, unrelated = embedder.embed(
        [
            "how do mitochondria make energy",
            "Mitochondria make the energy a cell uses, as ATP.",
            "mitocondria energy",
            "The French revolution began in 1789.",
        ]
    )
    assert cosine(query, related) > cosine(query, unrelated) + 0.2
    assert cosine(query, typo) > cosine(query, unrelated)


def test_empty_text_still_has_a_direction():
    [vector] = LocalEmbedder(16).embed([""])
    assert normalize([0.0, 0.0]) == [1.0, 0.0]
    assert math.isclose(sum(x * x for x in vector), 1.0)


def test_embed_all_keeps_order_across_batches():
    embedder = LocalEmbedder(32)
    embedder.max_batch = 3
    texts = [f"text number {i}" for i in range(8)]
    assert embed_all(embedder, texts) == embedder.embed(texts)


def test_vector_literal_is_pgvector_text_form():
    assert vector_literal([0.5, -1.0, 1e-9]) == "[0.5,-1,1e-09]"


def test_the_telling_word_outweighs_function_words():
    embedder = LocalEmbedder(256)
    query, notes, other = embedder.embed(
        [
            "what happens in anaphase",
            "Mitosis makes two identical daughter cells. Meiosis makes four cells with half"
            " the chromosomes. The spindle pulls chromatids apart during anaphase.",
            "Membranes: a lipid bilayer keeps the inside in and lets some things through.",
        ]
    )
    assert cosine(query, notes) > cosine(query, other)

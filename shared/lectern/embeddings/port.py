"""The embedder port: text in, unit-length vectors out, with the model named."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol


class Embedder(Protocol):
    # The name recorded in embedding_models and on every chunk: provider model + size.
    name: str
    provider: str
    dimensions: int
    # Texts per provider call.
    max_batch: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One normalized vector per text, in order."""
        ...


def normalize(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0.0:
        # An empty text has no direction; any fixed unit vector keeps cosine defined.
        return [1.0] + [0.0] * (len(vector) - 1)
    return [x / norm for x in vector]


def embed_all(embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    """Embed any number of texts in the provider's batch size."""
    vectors: list[list[float]] = []
    for start in range(0, len(texts), embedder.max_batch):
        vectors.extend(embedder.embed(texts[start : start + embedder.max_batch]))
    return vectors


def vector_literal(vector: Sequence[float]) -> str:
    """pgvector's text form, for ``CAST(:v AS vector)`` (no numpy needed)."""
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"

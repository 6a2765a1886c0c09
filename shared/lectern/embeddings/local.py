"""A deterministic embedder with no model: hashed word and character-trigram features.

Texts that share words (or most letters of a word, so typos still land near) get close
vectors. It is no language model, but it is stable across runs and machines, which is
what tests, the local stack and recall benchmarks need.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

from lectern.embeddings import normalize

WORD = re.compile(r"[^\W_]+", re.UNICODE)
TRIGRAM_WEIGHT = 0.35


class LocalEmbedder:
    provider = "local"
    max_batch = 256

    def __init__(self, dimensions: int = 256) -> None:
        self.dimensions = dimensions
        self.name = f"local-hash-{dimensions}"

    def _add(self, vector: list[float], feature: str, weight: float) -> None:
        h = zlib.crc32(feature.encode())
        vector[h % self.dimensions] += weight if h & 0x80000000 else -weight

    def embed_one(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for word in WORD.findall(text.lower()):
            self._add(vector, "w:" + word, 1.0)
            padded = f"^{word}$"
            for i in range(len(padded) - 2):
                self._add(vector, "t:" + padded[i : i + 3], TRIGRAM_WEIGHT)
        return normalize(vector)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_one(text) for text in texts]

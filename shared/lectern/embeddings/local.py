"""A deterministic embedder with no model: hashed word and character-trigram features.

Texts that share words (or most letters of a word, so typos still land near) get close
vectors. Function words ("what", "in", "the") are left out and repeated words count
sublinearly, so a question's one telling word is not drowned by the words every text
has. It is no language model, but it is stable across runs and machines, which is what
tests, the local stack and recall benchmarks need. A change to the features is a new
model (``VERSION``): its vectors get their own index, as a provider's would.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Sequence

from lectern.embeddings.port import normalize

WORD = re.compile(r"[^\W_]+", re.UNICODE)
TRIGRAM_WEIGHT = 0.35
VERSION = 2
STOPWORDS = frozenset(
    {
        "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
        "before", "but", "by", "can", "could", "did", "do", "does", "each", "for", "from", "had",
        "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "may", "more", "most",
        "much", "must", "my", "no", "not", "of", "on", "or", "other", "our", "out", "over", "same",
        "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there",
        "these", "they", "this", "those", "through", "to", "too", "under", "up", "was", "we",
        "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
        "would", "you", "your",
    }
)  # fmt: skip


class LocalEmbedder:
    provider = "local"
    max_batch = 256

    def __init__(self, dimensions: int = 256) -> None:
        self.dimensions = dimensions
        self.name = f"local-hash-v{VERSION}-{dimensions}"

    def _add(self, vector: list[float], feature: str, weight: float) -> None:
        h = zlib.crc32(feature.encode())
        vector[h % self.dimensions] += weight if h & 0x80000000 else -weight

    def embed_one(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        words = Counter(w for w in WORD.findall(text.lower()) if w not in STOPWORDS)
        for word, count in words.items():
            weight = 1.0 + math.log(count)
            self._add(vector, "w:" + word, weight)
            padded = f"^{word}$"
            for i in range(len(padded) - 2):
                self._add(vector, "t:" + padded[i : i + 3], TRIGRAM_WEIGHT * weight)
        return normalize(vector)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_one(text) for text in texts]

"""The embedder port: text in, unit-length vectors out, with the model named.

Adapters: ``local`` (deterministic feature hashing, no model download; the default
locally and in tests), ``bedrock`` (Titan Text Embeddings v2) and ``openai``. Each is
imported only when chosen, so a function that never embeds never loads boto3 or httpx.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from lectern.config import get_settings, resolve_secret
from lectern.errors import DependencyUnavailable


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


@lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    settings = get_settings()
    if settings.embedder == "bedrock":
        from lectern.embeddings.bedrock import BedrockEmbedder

        return BedrockEmbedder(
            settings.bedrock_embedding_model_id,
            settings.embedding_dimensions,
            region=settings.bedrock_region or settings.aws_region,
        )
    if settings.embedder == "openai":
        from lectern.embeddings.openai import OpenAIEmbedder

        return OpenAIEmbedder(
            settings.openai_embedding_model,
            settings.embedding_dimensions,
            base_url=settings.openai_base_url,
            api_key=openai_api_key,
        )
    from lectern.embeddings.local import LocalEmbedder

    return LocalEmbedder(settings.embedding_dimensions)


def openai_api_key() -> str:
    """The key from the environment, or from Secrets Manager (cached) in AWS."""
    settings = get_settings()
    if settings.openai_api_key_secret:
        try:
            return resolve_secret(settings.openai_api_key_secret, settings.secret_max_age_seconds)
        except Exception as exc:  # Powertools wraps every botocore failure in its own error
            raise DependencyUnavailable("embeddings", "OpenAI key secret unreadable") from exc
    if settings.openai_api_key:
        return settings.openai_api_key
    raise DependencyUnavailable("embeddings", "no OpenAI API key configured")

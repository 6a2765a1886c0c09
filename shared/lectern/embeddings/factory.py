"""The configured embedder. Adapters: ``local`` (deterministic feature hashing, no model
download; the default locally and in tests), ``bedrock`` (Titan Text Embeddings v2) and
``openai``. Each is imported only when chosen, so a function that never embeds never
loads boto3 or httpx.
"""

from __future__ import annotations

from lectern.config import get_settings
from lectern.core.cache import cached_client
from lectern.embeddings.port import Embedder


@cached_client
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
        from lectern.embeddings.openai import OpenAIEmbedder, openai_api_key

        return OpenAIEmbedder(
            settings.openai_embedding_model,
            settings.embedding_dimensions,
            base_url=settings.openai_base_url,
            api_key=openai_api_key,
        )
    from lectern.embeddings.local import LocalEmbedder

    return LocalEmbedder(settings.embedding_dimensions)

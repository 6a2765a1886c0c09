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
    if settings.embeddings.provider == "bedrock":
        from lectern.embeddings.bedrock import BedrockEmbedder, BedrockEmbeddingSettings

        bedrock = BedrockEmbeddingSettings()
        return BedrockEmbedder(
            bedrock.model_id,
            settings.embeddings.dimensions,
            region=bedrock.region or settings.aws.region,
        )
    if settings.embeddings.provider == "openai":
        from lectern.embeddings.openai import OpenAIEmbedder, OpenAISettings, openai_api_key

        openai = OpenAISettings()
        return OpenAIEmbedder(
            openai.embedding_model,
            settings.embeddings.dimensions,
            base_url=openai.base_url,
            # Read on each call, so a rotated secret is picked up from the cache.
            api_key=lambda: openai_api_key(openai),
        )
    from lectern.embeddings.local import LocalEmbedder

    return LocalEmbedder(settings.embeddings.dimensions)

"""The configured answerer. Adapters: ``local`` (extractive: quotes the passages' best
sentences, no model) and ``bedrock`` (the Converse API). ``Settings.llm`` chooses; each
is imported when chosen.
"""

from __future__ import annotations

from functools import lru_cache

from lectern.config import get_settings
from lectern.llm.port import Llm


@lru_cache(maxsize=1)
def get_llm() -> Llm:
    settings = get_settings()
    if settings.llm == "bedrock":
        from lectern.llm.bedrock import BedrockConverseLlm

        return BedrockConverseLlm(
            settings.bedrock_llm_model_id, region=settings.bedrock_region or settings.aws_region
        )
    from lectern.llm.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer()

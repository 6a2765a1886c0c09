"""The configured answerer. Adapters: ``local`` (extractive: quotes the passages' best
sentences, no model) and ``bedrock`` (the Converse API). ``Settings.llm`` chooses; each
is imported when chosen.
"""

from __future__ import annotations

from lectern.config import get_settings
from lectern.core.cache import cached_client
from lectern.llm.port import Llm


@cached_client
def get_llm() -> Llm:
    settings = get_settings()
    if settings.ai.llm == "bedrock":
        from lectern.llm.bedrock import BedrockConverseLlm, BedrockLlmSettings

        bedrock = BedrockLlmSettings()
        return BedrockConverseLlm(bedrock.model_id, region=bedrock.region or settings.aws.region)
    from lectern.llm.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer()

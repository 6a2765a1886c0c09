"""The answering port: a question and numbered passages in, a cited answer out.

Adapters: ``local`` (extractive: quotes the passages' best sentences, no model) and
``bedrock`` (the Converse API). ``Settings.llm`` chooses; each is imported when chosen.
Passages are numbered from 1 in the prompt and in the answer's ``[n]`` markers; the
``Answer`` reports the cited passages as 0-based indexes into the list it was given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from lectern.config import get_settings

NO_ANSWER = (
    "I couldn't find this in your material. Try rephrasing the question, or upload or "
    "enroll in material that covers it."
)


@dataclass(frozen=True)
class Answer:
    text: str
    cited: tuple[int, ...]
    input_tokens: int
    output_tokens: int
    model: str


class Llm(Protocol):
    # The model named in usage rows and priced by ``lectern.ai.usage``.
    model: str

    def answer(self, question: str, passages: Sequence[str]) -> Answer:
        """An answer from the passages only, citing them by index."""
        ...


def estimate_tokens(text: str) -> int:
    """A rough count (about four characters a token) where no model counts for us."""
    return math.ceil(len(text) / 4)


@lru_cache(maxsize=1)
def get_llm() -> Llm:
    settings = get_settings()
    if settings.llm == "bedrock":
        from lectern.ai.bedrock_llm import BedrockConverseLlm

        return BedrockConverseLlm(
            settings.bedrock_llm_model_id, region=settings.bedrock_region or settings.aws_region
        )
    from lectern.ai.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer()

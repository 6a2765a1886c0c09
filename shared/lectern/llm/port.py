"""The answering port: a question and numbered passages in, a cited answer out.

Passages are numbered from 1 in the prompt and in the answer's ``[n]`` markers; the
``Answer`` reports the cited passages as 0-based indexes into the list it was given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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

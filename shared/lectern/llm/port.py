"""The answering port: numbered passages in; a cited answer, a conversation's next
answer, or flashcards out.

Passages are numbered from 1 in the prompt and in the answer's ``[n]`` markers; the
``Answer`` reports the cited passages as 0-based indexes into the list it was given, and
each ``CardDraft`` the passage it was drawn from likewise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

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


@dataclass(frozen=True)
class Turn:
    """One earlier message of a conversation, as the model is shown it."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class CardDraft:
    front: str
    back: str
    passage: int  # 0-based index of the passage the card was drawn from


@dataclass(frozen=True)
class Cards:
    cards: tuple[CardDraft, ...]
    input_tokens: int
    output_tokens: int
    model: str


class Llm(Protocol):
    # The model named in usage rows and priced by ``lectern.ai.usage``.
    model: str

    def answer(self, question: str, passages: Sequence[str]) -> Answer:
        """An answer from the passages only, citing them by index."""
        ...

    def converse(self, history: Sequence[Turn], message: str, passages: Sequence[str]) -> Answer:
        """The next answer of a conversation: ``history`` is the earlier turns, oldest
        first (user, assistant, user ...), already trimmed to a budget; the answer comes
        from the passages only and cites them by index."""
        ...

    def make_cards(self, passages: Sequence[str], count: int) -> Cards:
        """At most ``count`` question/answer or cloze cards drawn from the passages only.
        A reply that is not the asked-for shape raises ``BadModelReply``."""
        ...


def estimate_tokens(text: str) -> int:
    """A rough count (about four characters a token) where no model counts for us."""
    return math.ceil(len(text) / 4)

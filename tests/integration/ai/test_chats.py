"""Conversations against the real Postgres + pgvector: a follow-up is answered from the
conversation's context, chats are their learner's alone, a message is one AI request
(given back when the model fails), and the conversation's length is bounded."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lectern.ai import chats, service, usage
from lectern.ai.models import AiChat, AiChatMessage, AiUsage, AiUsageMonthly
from lectern.ai.schemas import AskIn, ChatIn, MessageIn
from lectern.config import get_settings
from lectern.db.engine import get_sessionmaker
from lectern.errors import DependencyUnavailable, InvalidField, NotFound, RateLimited
from lectern.llm.port import Answer, Turn
from tests.factories import Account, make_account, make_course
from tests.integration.ai.test_semantic_search import add_document_chunks, add_lesson_chunks, enroll

PROPHASE = (
    "Prophase is the first stage of mitosis, when the chromosomes condense and the spindle "
    "starts to form."
)
METAPHASE = (
    "After prophase, mitosis moves on to its next stage, metaphase, when the chromosomes "
    "line up at the equator of the cell."
)
# Other material that speaks of "what happens after that stage" far more than mitosis does.
OTHER_STAGES = [
    "In photosynthesis the light reactions happen first; after that stage the Calvin cycle "
    "fixes carbon into sugar.",
    "In the water cycle evaporation happens first; after that stage condensation forms clouds.",
    "Digestion starts in the mouth; what happens after that stage is that the stomach breaks "
    "food down with acid.",
    "A star burns hydrogen for most of its life; after that stage it swells into a red giant.",
    "Grief often starts with denial; what happens after that stage is anger for many people.",
    "During deep sleep the body repairs tissue; after that stage comes REM sleep, when dreams "
    "happen.",
    "A caterpillar eats and grows; what happens after that stage is the pupa, inside a chrysalis.",
    "In the Krebs cycle citrate forms first; after that stage it is turned into isocitrate.",
]
FIRST = "What happens during prophase in mitosis?"
FOLLOW_UP = "And what happens after that stage?"


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def set_limit(value: int) -> None:
        monkeypatch.setitem(get_settings().ai.monthly_requests, "free", value)

    return set_limit


def _material(db: Session, learner: Account) -> dict[str, uuid.UUID]:
    _, ids = add_document_chunks(db, learner, [PROPHASE, METAPHASE, *OTHER_STAGES])
    return {"prophase": ids[0], "metaphase": ids[1]}


def _say(db: Session, who: Account, chat_id: uuid.UUID, content: str):  # type: ignore[no-untyped-def]
    return chats.send_message(db, who.principal, chat_id, MessageIn(content=content))  # type: ignore[arg-type]


def _chat(db: Session, who: Account, **fields: Any) -> uuid.UUID:
    return chats.create_chat(db, who.principal, ChatIn(**fields)).id  # type: ignore[arg-type]


def test_a_follow_up_is_answered_from_the_first_question(db: Session, limit):
    limit(10)
    learner = make_account(db)
    chunks = _material(db, learner)
    chat_id = _chat(db, learner)

    first = _say(db, learner, chat_id, FIRST)
    assert "Prophase" in first.message.content
    follow_up = _say(db, learner, chat_id, FOLLOW_UP)
    assert "metaphase" in follow_up.message.content
    assert chunks["metaphase"] in {c.chunk_id for c in follow_up.message.citations}

    # Alone, the same question is not answerable: it finds the other stages instead.
    alone = service.ask(db, learner.principal, AskIn(question=FOLLOW_UP))  # type: ignore[arg-type]
    assert "metaphase" not in alone.answer
    assert chunks["metaphase"] not in {c.chunk_id for c in alone.citations}
    fresh = _say(db, learner, _chat(db, learner), FOLLOW_UP)
    assert "metaphase" not in fresh.message.content

    detail = chats.get_chat(db, learner.principal, chat_id)  # type: ignore[arg-type]
    assert [(m.role.value, m.content) for m in detail.messages[::2]] == [
        ("user", FIRST),
        ("user", FOLLOW_UP),
    ]
    assert detail.messages[3].content == follow_up.message.content
    assert detail.messages[3].citations == follow_up.message.citations
    assert (detail.title, detail.message_count) == (FIRST, 4)


class RecordingLlm:
    """Records what the model is shown; answers with a fixed cost."""

    model = "anthropic.claude-3-haiku-20240307-v1:0"

    def __init__(self) -> None:
        self.calls: list[tuple[list[Turn], str, list[str]]] = []

    def converse(self, history: Sequence[Turn], message: str, passages: Sequence[str]) -> Answer:
        self.calls.append((list(history), message, list(passages)))
        return Answer(f"Answer {len(self.calls)} [1]", (0,), 1000, 200, self.model)


def test_the_model_gets_the_last_turns_within_the_budget_and_usage_is_recorded(
    db: Session, limit, monkeypatch
):
    limit(10)
    learner = make_account(db)
    _material(db, learner)
    llm = RecordingLlm()
    monkeypatch.setattr(chats, "get_llm", lambda: llm)
    chat_id = _chat(db, learner, title="Mitosis")
    _say(db, learner, chat_id, FIRST)
    out = _say(db, learner, chat_id, FOLLOW_UP)
    history, message, passages = llm.calls[-1]
    assert history == [Turn("user", FIRST), Turn("assistant", "Answer 1 [1]")]
    assert message == FOLLOW_UP and len(passages) == chats.CHAT_PASSAGES
    assert (out.usage.input_tokens, out.usage.output_tokens) == (1000, 200)
    assert out.usage.cost_cents > 0
    rows = db.scalars(select(AiUsage).where(AiUsage.user_id == learner.id)).all()
    assert [(r.kind, r.input_tokens) for r in rows] == [("chat", 1000), ("chat", 1000)]
    # A tight budget keeps only what fits, and never starts on the model's turn.
    monkeypatch.setattr(get_settings().ai, "chat_history_tokens", 6)
    _say(db, learner, chat_id, "And then?")
    assert llm.calls[-1][0] == []
    assert chats.get_chat(db, learner.principal, chat_id).title == "Mitosis"  # type: ignore[arg-type]


def test_a_model_failure_gives_the_request_back_and_stores_no_message(
    db: Session, limit, monkeypatch
):
    class DownLlm:
        model = "x"

        def converse(self, *args: Any) -> Answer:
            raise DependencyUnavailable("llm", "test: down")

    limit(10)
    learner = make_account(db)
    chat_id = _chat(db, learner)
    monkeypatch.setattr(chats, "get_llm", DownLlm)
    with pytest.raises(DependencyUnavailable):
        _say(db, learner, chat_id, FIRST)
    db.expire_all()
    month = usage.month_start(datetime.now(UTC))
    monthly = db.get(AiUsageMonthly, (learner.id, month))
    assert monthly is not None and monthly.requests == 0
    assert db.scalar(select(func.count()).where(AiChatMessage.chat_id == chat_id)) == 0
    assert db.get(AiChat, chat_id).message_count == 0  # type: ignore[union-attr]


def test_messages_count_against_the_monthly_quota(db: Session, limit):
    limit(2)
    learner = make_account(db)
    chat_id = _chat(db, learner)
    _say(db, learner, chat_id, "one?")
    service.ask(db, learner.principal, AskIn(question="two?"))  # type: ignore[arg-type]
    with pytest.raises(RateLimited):
        _say(db, learner, chat_id, "three?")
    db.rollback()
    assert chats.get_chat(db, learner.principal, chat_id).message_count == 2  # type: ignore[arg-type]


def test_a_conversation_is_bounded_even_when_messages_race(db: Session, limit, monkeypatch):
    limit(50)
    monkeypatch.setattr(get_settings().ai, "chat_max_messages", 4)
    learner = make_account(db)
    chat_id = _chat(db, learner)
    _say(db, learner, chat_id, "one?")
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def send() -> None:
        with get_sessionmaker()() as session:
            start.wait()
            try:
                chats.send_message(session, learner.principal, chat_id, MessageIn(content="more?"))  # type: ignore[arg-type]
                outcomes.append("ok")
            except InvalidField as exc:
                outcomes.append(exc.field)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["messages", "messages", "messages", "ok"]
    positions = db.scalars(
        select(AiChatMessage.position).where(AiChatMessage.chat_id == chat_id)
    ).all()
    assert sorted(positions) == [0, 1, 2, 3]
    db.expire_all()
    monthly = db.get(AiUsageMonthly, (learner.id, usage.month_start(datetime.now(UTC))))
    assert monthly is not None and monthly.requests == 2  # the refused ones gave theirs back


def test_a_course_chat_searches_only_what_that_course_lets_the_learner_see(db: Session, limit):
    limit(10)
    author = make_account(db, "instructor")
    learner = make_account(db)
    course, [lesson] = make_course(db, author, lessons=1)
    other, [other_lesson] = make_course(db, author, lessons=1)
    draft, _ = make_course(db, author, published=False)
    enroll(db, learner, course.id)
    enroll(db, learner, other.id)
    [inside] = add_lesson_chunks(db, lesson, [PROPHASE])
    add_lesson_chunks(db, other_lesson, [METAPHASE])
    add_document_chunks(db, learner, [METAPHASE])  # not tied to the course
    with pytest.raises(NotFound):
        _chat(db, learner, course_id=draft.id)
    chat_id = _chat(db, learner, course_id=course.id)
    out = _say(db, learner, chat_id, "What happens in prophase and metaphase of mitosis?")
    assert {c.chunk_id for c in out.message.citations} == {inside}


def test_chats_are_their_learners_alone(db: Session, limit):
    limit(10)
    learner, other, admin = make_account(db), make_account(db), make_account(db, "admin")
    chat_id = _chat(db, learner)
    for outsider in (other, admin):
        for call in (
            lambda who: chats.get_chat(db, who.principal, chat_id),
            lambda who: _say(db, who, chat_id, "mine?"),
            lambda who: chats.delete_chat(db, who.principal, chat_id),
        ):
            with pytest.raises(NotFound):
                call(outsider)
        db.rollback()
        listed = chats.list_chats(db, outsider.principal, limit=10, cursor=None)  # type: ignore[arg-type]
        assert listed.items == []
    assert db.get(AiChat, chat_id) is not None
    chats.delete_chat(db, learner.principal, chat_id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        chats.get_chat(db, learner.principal, chat_id)  # type: ignore[arg-type]

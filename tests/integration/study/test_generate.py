"""Cards from material against the real Postgres: drawn from the chunks of a lesson the
learner may read or of their own document, one AI request each (given back on failure),
and a bad model reply is a 502 that stores nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lectern.ai import usage
from lectern.ai.models import AiUsage, AiUsageMonthly
from lectern.config import get_settings
from lectern.documents.models import Document
from lectern.errors import (
    BadModelReply,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    InvalidField,
    NotFound,
    RateLimited,
)
from lectern.llm.bedrock import CARDS_TOOL, BedrockConverseLlm
from lectern.study import generate
from lectern.study.models import StudyItem
from lectern.study.schemas import GenerateIn
from tests.factories import Account, make_account, make_course
from tests.integration.ai.test_semantic_search import add_document_chunks, add_lesson_chunks, enroll

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
MITOSIS = [
    "Mitosis is the division of one nucleus into two identical nuclei. During prophase the "
    "chromosomes condense and become visible.",
    "In metaphase the chromosomes line up at the equator of the spindle. In anaphase the "
    "sister chromatids move apart toward opposite poles.",
    "During telophase two nuclear envelopes form around the separated chromosomes. "
    "Cytokinesis then splits the cytoplasm, leaving two daughter cells.",
]


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def set_limit(value: int) -> None:
        monkeypatch.setitem(get_settings().ai.monthly_requests, "free", value)

    return set_limit


def _requests(db: Session, user_id: uuid.UUID) -> int:
    db.expire_all()
    row = db.get(AiUsageMonthly, (user_id, usage.month_start(datetime.now(UTC))))
    return row.requests if row else 0


def _items(db: Session, who: Account) -> list[StudyItem]:
    db.expire_all()
    return list(db.scalars(select(StudyItem).where(StudyItem.user_id == who.id)))


def _generate(db: Session, who: Account, **fields: Any):  # type: ignore[no-untyped-def]
    return generate.generate(db, who.principal, GenerateIn(**fields))  # type: ignore[arg-type]


def _lesson_for(db: Session, learner: Account) -> tuple[Any, list[uuid.UUID]]:
    author = make_account(db, "instructor")
    course, [lesson] = make_course(db, author, lessons=1)
    chunk_ids = add_lesson_chunks(db, lesson, MITOSIS)
    enroll(db, learner, course.id)
    return lesson, chunk_ids


def test_cloze_cards_from_a_lesson_count_as_one_request(db: Session, limit):
    limit(5)
    learner = make_account(db)
    lesson, chunk_ids = _lesson_for(db, learner)
    out = _generate(db, learner, lesson_id=lesson.id, count=4)
    assert 1 <= len(out.items) <= 4
    for item in out.items:
        assert item.front and "[...]" in item.front and item.back
        source = MITOSIS[chunk_ids.index(_items_by_id(db, item.id).source_chunk_id)]
        # The blank is the back, cut from a sentence of the chunk the card names.
        assert item.front.replace("[...]", item.back) in source
        assert (item.state.value, item.lesson_id, item.course_id) == (  # type: ignore[union-attr]
            "new",
            lesson.id,
            lesson.course_id,
        )
        assert item.generated_by == "local-extractive"
    assert _requests(db, learner.id) == 1
    [row] = db.scalars(select(AiUsage).where(AiUsage.user_id == learner.id)).all()
    assert (row.kind, row.model) == ("generate", "local-extractive")
    assert out.usage.input_tokens > 0

    # The same source again: the same cards are not stored twice; it still was a request.
    again = _generate(db, learner, lesson_id=lesson.id, count=4)
    assert again.items == []
    assert len(_items(db, learner)) == len(out.items)
    assert _requests(db, learner.id) == 2


def _items_by_id(db: Session, item_id: uuid.UUID) -> StudyItem:
    item = db.get(StudyItem, item_id)
    assert item is not None
    return item


def test_the_count_bounds_the_cards(db: Session, limit):
    limit(5)
    learner = make_account(db)
    facts = [f"Fact {n}: the enzyme number {n} digests starch in the gut." for n in range(9)]
    document_id, _ = add_document_chunks(db, learner, facts)
    out = _generate(db, learner, document_id=document_id, count=2)
    assert len(out.items) == 2 and all(i.document_id == document_id for i in out.items)


def test_sources_the_learner_may_not_use_are_refused_and_cost_nothing(db: Session, limit):
    limit(5)
    learner, other = make_account(db), make_account(db)
    admin = make_account(db, "admin")
    author = make_account(db, "instructor")
    _, [closed_lesson] = make_course(db, author, lessons=1)
    add_lesson_chunks(db, closed_lesson, MITOSIS)
    theirs, _ = add_document_chunks(db, other, MITOSIS)
    with pytest.raises(Forbidden):
        _generate(db, learner, lesson_id=closed_lesson.id)
    for outsider in (learner, admin):
        with pytest.raises(NotFound):
            _generate(db, outsider, document_id=theirs)
    with pytest.raises(NotFound):
        _generate(db, learner, lesson_id=uuid.uuid4())
    # A lesson not chunked yet, and a document still processing.
    course, [bare] = make_course(db, author, lessons=1)
    enroll(db, learner, course.id)
    with pytest.raises(Conflict):
        _generate(db, learner, lesson_id=bare.id)
    pending, _ = add_document_chunks(db, learner, ["Some text that is here."])
    db.get(Document, pending).status = "processing"  # type: ignore[union-attr]
    db.commit()
    with pytest.raises(Conflict):
        _generate(db, learner, document_id=pending)
    with pytest.raises(InvalidField) as caught:
        _generate(db, learner, lesson_id=bare.id, document_id=pending)
    assert caught.value.field == "document_id"
    with pytest.raises(InvalidField) as caught:
        _generate(db, learner)
    assert caught.value.field == "lesson_id"
    db.rollback()
    for who in (learner, admin):
        assert _requests(db, who.id) == 0
        assert _items(db, who) == []


def test_past_the_quota_nothing_is_generated(db: Session, limit):
    limit(1)
    learner = make_account(db)
    lesson, _ = _lesson_for(db, learner)
    _generate(db, learner, lesson_id=lesson.id, count=1)
    with pytest.raises(RateLimited):
        _generate(db, learner, lesson_id=lesson.id, count=3)
    db.rollback()
    assert len(_items(db, learner)) == 1


def _bedrock(monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3

    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    monkeypatch.setattr(
        generate, "get_llm", lambda: BedrockConverseLlm(HAIKU, region="x", client=client)
    )
    return client


def tool_reply(cards: Any, *, name: str = CARDS_TOOL) -> dict[str, Any]:
    return {
        "output": {
            "message": {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "t1", "name": name, "input": cards}}],
            }
        },
        "stopReason": "tool_use",
        "usage": {"inputTokens": 900, "outputTokens": 120, "totalTokens": 1020},
        "metrics": {"latencyMs": 800},
    }


def test_bedrock_cards_are_validated_and_stored_with_their_cost(db: Session, limit, monkeypatch):
    from botocore.stub import Stubber

    limit(5)
    learner = make_account(db)
    lesson, chunk_ids = _lesson_for(db, learner)
    client = _bedrock(monkeypatch)
    cards = {
        "cards": [
            {"front": "What happens in metaphase?", "back": "Chromosomes line up", "passage": 2},
            {"front": "Cytokinesis splits the [...].", "back": "cytoplasm", "passage": 3},
        ]
    }
    with Stubber(client) as stub:
        stub.add_response("converse", tool_reply(cards))
        out = _generate(db, learner, lesson_id=lesson.id, count=5)
    assert [i.back for i in out.items] == ["Chromosomes line up", "cytoplasm"]
    assert [_items_by_id(db, i.id).source_chunk_id for i in out.items] == chunk_ids[1:]
    assert (out.usage.input_tokens, out.usage.output_tokens) == (900, 120)
    assert out.usage.cost_cents > 0
    assert _requests(db, learner.id) == 1


@pytest.mark.parametrize(
    "reply",
    [
        tool_reply({"cards": [{"front": "Q", "back": "A", "passage": 9}]}),  # no passage 9
        tool_reply({"cards": [{"front": "Q", "back": "A"}]}),  # no passage at all
        tool_reply({"cards": [{"front": "", "back": "A", "passage": 1}]}),
        tool_reply({"cards": [{"front": "Q", "back": "A", "passage": "1"}]}),
        tool_reply({"cards": [{"front": "Q", "back": "A", "passage": 1, "due": "now"}]}),
        tool_reply({"cards": [{"front": f"Q{n}", "back": "A", "passage": 1} for n in range(4)]}),
        tool_reply({"cards": "none"}),
        tool_reply({"cards": []}, name="another_tool"),
        {  # text instead of the tool
            "output": {"message": {"role": "assistant", "content": [{"text": '{"cards": []}'}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
            "metrics": {"latencyMs": 1},
        },
    ],
)
def test_a_bad_model_reply_is_a_502_stores_nothing_and_gives_the_request_back(
    db: Session, limit, monkeypatch, reply: dict[str, Any]
):
    from botocore.stub import Stubber

    limit(5)
    learner = make_account(db)
    lesson, _ = _lesson_for(db, learner)
    client = _bedrock(monkeypatch)
    with Stubber(client) as stub:
        stub.add_response("converse", reply)
        with pytest.raises(BadModelReply):
            _generate(db, learner, lesson_id=lesson.id, count=3)
    assert _items(db, learner) == []
    assert _requests(db, learner.id) == 0
    assert db.scalar(select(func.count()).where(AiUsage.user_id == learner.id)) == 0


def test_a_model_outage_is_a_503_and_gives_the_request_back(db: Session, limit, monkeypatch):
    from botocore.stub import Stubber

    limit(5)
    learner = make_account(db)
    lesson, _ = _lesson_for(db, learner)
    client = _bedrock(monkeypatch)
    with Stubber(client) as stub:
        stub.add_client_error("converse", "ServiceUnavailableException", http_status_code=503)
        with pytest.raises(DependencyUnavailable):
            _generate(db, learner, lesson_id=lesson.id)
    assert _items(db, learner) == [] and _requests(db, learner.id) == 0

"""The Bedrock Converse adapter at its boundary (botocore Stubber checks the request against
the service model): the prompt it sends, and how the reply becomes a cited answer."""

from __future__ import annotations

from typing import Any

import pytest

from lectern.errors import DependencyUnavailable
from lectern.llm.bedrock import SYSTEM_PROMPT, BedrockConverseLlm, build_prompt, cited_indexes
from lectern.llm.factory import get_llm
from lectern.llm.port import NO_ANSWER

pytestmark = pytest.mark.contract

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
PASSAGES = [
    "The sinoatrial node sets the heart's rhythm.",
    "Ventricles pump blood into the arteries.",
    "The mitral valve separates the left atrium and ventricle.",
]
QUESTION = "What sets the rhythm of the heart?"


@pytest.fixture
def client() -> Any:
    import boto3

    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _reply(text: str, input_tokens: int = 180, output_tokens: int = 24) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens,
        },
        "metrics": {"latencyMs": 412},
    }


def test_converse_request_confines_the_model_to_numbered_passages(client: Any):
    from botocore.stub import Stubber

    llm = BedrockConverseLlm(MODEL, region="x", client=client)
    expected = {
        "modelId": MODEL,
        "system": [{"text": SYSTEM_PROMPT}],
        "messages": [{"role": "user", "content": [{"text": build_prompt(QUESTION, PASSAGES)}]}],
        "inferenceConfig": {"maxTokens": 800, "temperature": 0.2},
    }
    with Stubber(client) as stub:
        stub.add_response(
            "converse", _reply("The sinoatrial node sets it [1], not the valves [3]."), expected
        )
        answer = llm.answer(QUESTION, PASSAGES)
        stub.assert_no_pending_responses()
    prompt = build_prompt(QUESTION, PASSAGES)
    assert "[1] The sinoatrial node" in prompt
    assert "[3] The mitral valve" in prompt
    assert prompt.endswith(f"Question: {QUESTION}")
    assert "only the numbered passages" in SYSTEM_PROMPT
    assert answer.text == "The sinoatrial node sets it [1], not the valves [3]."
    assert answer.cited == (0, 2)
    assert (answer.input_tokens, answer.output_tokens, answer.model) == (180, 24, MODEL)


def test_text_blocks_are_joined_and_unknown_citations_dropped(client: Any):
    from botocore.stub import Stubber

    llm = BedrockConverseLlm(MODEL, region="x", client=client)
    reply = _reply("")
    reply["output"]["message"]["content"] = [{"text": "Part one [2]"}, {"text": " and [9] [0]."}]
    with Stubber(client) as stub:
        stub.add_response("converse", reply)
        answer = llm.answer(QUESTION, PASSAGES)
    assert answer.text == "Part one [2] and [9] [0]."
    assert answer.cited == (1,)


def test_no_passages_means_no_call_and_a_plain_answer(client: Any):
    from botocore.stub import Stubber

    llm = BedrockConverseLlm(MODEL, region="x", client=client)
    with Stubber(client):  # nothing stubbed: a call would fail
        answer = llm.answer(QUESTION, [])
    assert answer.text == NO_ANSWER
    assert answer.cited == ()
    assert answer.input_tokens == answer.output_tokens == 0


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("ServiceUnavailableException", 503),
        ("ModelNotReadyException", 429),
        ("ValidationException", 400),
    ],
)
def test_converse_failures_are_a_503_naming_the_llm(client: Any, code: str, status: int):
    from botocore.stub import Stubber

    llm = BedrockConverseLlm(MODEL, region="x", client=client)
    with Stubber(client) as stub:
        stub.add_client_error("converse", service_error_code=code, http_status_code=status)
        with pytest.raises(DependencyUnavailable) as caught:
            llm.answer(QUESTION, PASSAGES)
    assert caught.value.dependency == "llm"
    assert code in caught.value.reason


def test_cited_indexes_read_square_bracket_numbers():
    assert cited_indexes("A [1][2], B [2], C [10]", 10) == (0, 1, 9)
    assert cited_indexes("no citations here", 3) == ()


def test_settings_choose_the_answerer(settings_env: pytest.MonkeyPatch):
    from lectern.config import get_settings

    get_llm.cache_clear()
    try:
        settings_env.setenv("LECTERN_LLM", "local")
        get_settings.cache_clear()
        assert get_llm().model == "local-extractive"
        get_llm.cache_clear()
        settings_env.setenv("LECTERN_LLM", "bedrock")
        settings_env.setenv("LECTERN_BEDROCK_LLM_MODEL_ID", "amazon.nova-lite-v1:0")
        get_settings.cache_clear()
        llm = get_llm()
        assert isinstance(llm, BedrockConverseLlm)
        assert llm.model == "amazon.nova-lite-v1:0"
    finally:
        get_llm.cache_clear()


# --- conversations and flashcards ---


def test_a_conversation_sends_the_earlier_turns_then_the_passages(client: Any):
    from botocore.stub import Stubber

    from lectern.llm.bedrock import CHAT_SYSTEM_PROMPT
    from lectern.llm.port import Turn

    llm = BedrockConverseLlm(MODEL, region="x", client=client)
    history = [Turn("user", "What sets the rhythm?"), Turn("assistant", "The SA node [1].")]
    expected = {
        "modelId": MODEL,
        "system": [{"text": CHAT_SYSTEM_PROMPT}],
        "messages": [
            {"role": "user", "content": [{"text": "What sets the rhythm?"}]},
            {"role": "assistant", "content": [{"text": "The SA node [1]."}]},
            {"role": "user", "content": [{"text": build_prompt("And then?", PASSAGES)}]},
        ],
        "inferenceConfig": {"maxTokens": 800, "temperature": 0.2},
    }
    with Stubber(client) as stub:
        stub.add_response("converse", _reply("Ventricles pump next [2]."), expected)
        answer = llm.converse(history, "And then?", PASSAGES)
        stub.assert_no_pending_responses()
    assert answer.cited == (1,)
    assert "numbers count from 1 anew" in CHAT_SYSTEM_PROMPT


def test_cards_are_asked_for_through_one_forced_tool_with_their_schema(client: Any):
    from botocore.stub import ANY, Stubber

    from lectern.llm.bedrock import CARDS_SYSTEM_PROMPT, CARDS_TOOL, cards_prompt, cards_schema

    llm = BedrockConverseLlm(MODEL, region="x", client=client)
    expected = {
        "modelId": MODEL,
        "system": [{"text": CARDS_SYSTEM_PROMPT}],
        "messages": [{"role": "user", "content": [{"text": cards_prompt(PASSAGES, 2)}]}],
        "inferenceConfig": {"maxTokens": 2000, "temperature": 0.2},
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": CARDS_TOOL,
                        "description": ANY,
                        "inputSchema": {"json": cards_schema(2, 3)},
                    }
                }
            ],
            "toolChoice": {"tool": {"name": CARDS_TOOL}},
        },
    }
    reply = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {
                        "toolUse": {
                            "toolUseId": "t",
                            "name": CARDS_TOOL,
                            "input": {"cards": [{"front": " Q? ", "back": "A", "passage": 3}]},
                        }
                    }
                ],
            }
        },
        "stopReason": "tool_use",
        "usage": {"inputTokens": 50, "outputTokens": 9, "totalTokens": 59},
        "metrics": {"latencyMs": 1},
    }
    with Stubber(client) as stub:
        stub.add_response("converse", reply, expected)
        cards = llm.make_cards(PASSAGES, 2)
    [card] = cards.cards
    assert (card.front, card.back, card.passage) == ("Q?", "A", 2)
    assert (cards.input_tokens, cards.output_tokens, cards.model) == (50, 9, MODEL)
    schema = cards_schema(2, 3)
    assert schema["properties"]["cards"]["maxItems"] == 2
    assert schema["properties"]["cards"]["items"]["properties"]["passage"]["maximum"] == 3


def test_no_passages_means_no_cards_and_no_call(client: Any):
    from botocore.stub import Stubber

    llm = BedrockConverseLlm(MODEL, region="x", client=client)
    with Stubber(client):
        assert llm.make_cards([], 5).cards == ()
        assert llm.converse([], "Hi?", []).text == NO_ANSWER

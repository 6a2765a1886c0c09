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

"""The real embedding providers at their boundary: Bedrock Titan v2 through botocore's
Stubber (the request is checked against the service model), OpenAI against a recorded
HTTP exchange served by httpx.MockTransport."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import httpx
import pytest

from lectern.embeddings.bedrock import BedrockEmbedder
from lectern.embeddings.factory import get_embedder
from lectern.embeddings.openai import OpenAIEmbedder
from lectern.embeddings.port import embed_all
from lectern.errors import DependencyUnavailable

pytestmark = pytest.mark.contract


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


# --- Bedrock Titan Text Embeddings v2 ---


@pytest.fixture
def bedrock() -> Any:
    import boto3

    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _titan_reply(vector: list[float], tokens: int) -> dict[str, Any]:
    from botocore.response import StreamingBody

    raw = json.dumps({"embedding": vector, "inputTextTokenCount": tokens}).encode()
    return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}


def test_titan_gets_one_text_per_call_with_dimensions_and_normalize(bedrock: Any):
    from botocore.stub import Stubber

    embedder = BedrockEmbedder("amazon.titan-embed-text-v2:0", 256, region="x", client=bedrock)
    assert embedder.name == "amazon.titan-embed-text-v2:0/256"
    with Stubber(bedrock) as stub:
        for text, tokens in (("Systole then diastole.", 6), ("The heart has four chambers.", 7)):
            stub.add_response(
                "invoke_model",
                _titan_reply([3.0, 4.0] + [0.0] * 254, tokens),
                {
                    "modelId": "amazon.titan-embed-text-v2:0",
                    "body": json.dumps({"inputText": text, "dimensions": 256, "normalize": True}),
                    "contentType": "application/json",
                    "accept": "application/json",
                },
            )
        vectors = embedder.embed(["Systole then diastole.", "The heart has four chambers."])
        stub.assert_no_pending_responses()
    assert len(vectors) == 2
    assert vectors[0][:2] == pytest.approx([0.6, 0.8])
    assert all(_norm(v) == pytest.approx(1.0) for v in vectors)
    assert embedder.input_tokens == 13


def test_titan_is_not_called_for_an_empty_text(bedrock: Any):
    from botocore.stub import Stubber

    embedder = BedrockEmbedder("amazon.titan-embed-text-v2:0", 512, region="x", client=bedrock)
    with Stubber(bedrock):  # any call would fail: nothing is stubbed
        [vector] = embedder.embed(["   "])
    assert len(vector) == 512
    assert _norm(vector) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("ServiceUnavailableException", 503),
        ("ModelTimeoutException", 408),
        ("AccessDeniedException", 403),
    ],
)
def test_titan_failures_are_a_503_naming_embeddings(bedrock: Any, code: str, status: int):
    from botocore.stub import Stubber

    embedder = BedrockEmbedder("amazon.titan-embed-text-v2:0", 256, region="x", client=bedrock)
    with Stubber(bedrock) as stub:
        stub.add_client_error("invoke_model", service_error_code=code, http_status_code=status)
        with pytest.raises(DependencyUnavailable) as caught:
            embedder.embed(["anything"])
    assert caught.value.dependency == "embeddings"
    assert code in caught.value.reason


def test_titan_reply_of_the_wrong_size_is_refused(bedrock: Any):
    from botocore.stub import Stubber

    embedder = BedrockEmbedder("amazon.titan-embed-text-v2:0", 256, region="x", client=bedrock)
    with Stubber(bedrock) as stub:
        stub.add_response("invoke_model", _titan_reply([1.0] * 1024, 3))
        with pytest.raises(DependencyUnavailable):
            embedder.embed(["anything"])


def test_titan_sizes_are_the_three_it_makes():
    with pytest.raises(ValueError, match="dimensions"):
        BedrockEmbedder("amazon.titan-embed-text-v2:0", 300, region="us-east-1", client=object())


def test_unreachable_bedrock_is_a_503(bedrock: Any):
    from botocore.exceptions import EndpointConnectionError

    def refuse(**_: Any) -> None:
        raise EndpointConnectionError(
            endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com"
        )

    # In process, where the HTTP request would leave: no socket is opened.
    bedrock.meta.events.register("before-send.bedrock-runtime.InvokeModel", refuse)
    embedder = BedrockEmbedder("amazon.titan-embed-text-v2:0", 256, region="x", client=bedrock)
    with pytest.raises(DependencyUnavailable) as caught:
        embedder.embed(["anything"])
    assert caught.value.dependency == "embeddings"
    assert "EndpointConnectionError" in caught.value.reason


# --- OpenAI embeddings: a recorded exchange ---

# POST https://api.openai.com/v1/embeddings, as recorded (vectors shortened to 4 floats
# and the dimensions parameter to match). Note the reply is not in input order.
RECORDED_REQUEST = {
    "model": "text-embedding-3-small",
    "input": ["The mitral valve has two cusps.", "Atria contract before ventricles."],
    "dimensions": 4,
    "encoding_format": "float",
}
RECORDED_REPLY = {
    "object": "list",
    "data": [
        {"object": "embedding", "index": 1, "embedding": [0.0, 0.0, 0.6, 0.8]},
        {"object": "embedding", "index": 0, "embedding": [0.5, 0.5, 0.5, 0.5]},
    ],
    "model": "text-embedding-3-small",
    "usage": {"prompt_tokens": 14, "total_tokens": 14},
}
RATE_LIMITED = {
    "error": {
        "message": "Rate limit reached for text-embedding-3-small ...",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}


class Recorder:
    """A MockTransport handler that replays replies in order and keeps the requests."""

    def __init__(self, *replies: httpx.Response | Exception) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def _openai(recorder: Recorder, dimensions: int = 4) -> tuple[OpenAIEmbedder, list[float]]:
    slept: list[float] = []
    embedder = OpenAIEmbedder(
        "text-embedding-3-small",
        dimensions,
        base_url="https://api.openai.com/v1/",
        api_key=lambda: "sk-test",
        transport=httpx.MockTransport(recorder),
        sleep=slept.append,
    )
    return embedder, slept


def test_openai_request_matches_the_recorded_contract_and_reply_is_reordered():
    recorder = Recorder(httpx.Response(200, json=RECORDED_REPLY))
    embedder, _ = _openai(recorder)
    assert embedder.name == "text-embedding-3-small/4"
    vectors = embedder.embed(RECORDED_REQUEST["input"])  # type: ignore[arg-type]
    [request] = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.openai.com/v1/embeddings"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == RECORDED_REQUEST
    assert vectors == [[0.5, 0.5, 0.5, 0.5], [0.0, 0.0, 0.6, 0.8]]
    assert embedder.input_tokens == 14


def test_openai_vectors_are_normalized_and_empty_texts_are_not_sent():
    reply = {"data": [{"object": "embedding", "index": 0, "embedding": [2.0, 0.0, 0.0, 0.0]}]}
    recorder = Recorder(httpx.Response(200, json=reply))
    embedder, _ = _openai(recorder)
    vectors = embedder.embed(["", "a real sentence"])
    assert json.loads(recorder.requests[0].content)["input"] == ["a real sentence"]
    assert vectors[1] == [1.0, 0.0, 0.0, 0.0]
    assert _norm(vectors[0]) == pytest.approx(1.0)


def test_openai_batches_are_at_most_256_texts():
    def reply_for(request: httpx.Request) -> httpx.Response:
        inputs = json.loads(request.content)["input"]
        data = [{"index": i, "embedding": [1.0, 0.0, 0.0, 0.0]} for i in range(len(inputs))]
        return httpx.Response(200, json={"data": data})

    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(len(json.loads(request.content)["input"]))
        return reply_for(request)

    embedder = OpenAIEmbedder(
        "text-embedding-3-small",
        4,
        base_url="https://api.openai.com/v1",
        api_key=lambda: "sk-test",
        transport=httpx.MockTransport(handler),
    )
    vectors = embed_all(embedder, [f"text {i}" for i in range(600)])
    assert len(vectors) == 600
    assert sizes == [256, 256, 88]


def test_openai_rate_limit_is_retried_once_after_retry_after():
    recorder = Recorder(
        httpx.Response(429, json=RATE_LIMITED, headers={"retry-after": "1"}),
        httpx.Response(200, json=RECORDED_REPLY),
    )
    embedder, slept = _openai(recorder)
    assert len(embedder.embed(RECORDED_REQUEST["input"])) == 2  # type: ignore[arg-type]
    assert slept == [1.0]
    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    "replies",
    [
        (httpx.Response(429, json=RATE_LIMITED), httpx.Response(429, json=RATE_LIMITED)),
        (httpx.Response(500), httpx.Response(503)),
        (httpx.Response(401, json={"error": {"code": "invalid_api_key"}}),),
        (httpx.ConnectError("refused"),),
        (httpx.ReadTimeout("slow"),),
        (httpx.Response(200, json={"data": []}),),
        (httpx.Response(200, content=b"<html>proxy error</html>"),),
    ],
)
def test_openai_failures_are_a_503_naming_embeddings(replies: tuple[Any, ...]):
    recorder = Recorder(*replies)
    embedder, slept = _openai(recorder)
    with pytest.raises(DependencyUnavailable) as caught:
        embedder.embed(["anything"])
    assert caught.value.dependency == "embeddings"
    assert not recorder.replies  # a 401 is not retried; a 429/5xx once
    assert all(s <= 2.0 for s in slept)


def test_openai_reply_with_a_duplicate_index_is_refused():
    reply = {"data": [{"index": 0, "embedding": [1.0, 0, 0, 0]}] * 2}
    embedder, _ = _openai(Recorder(httpx.Response(200, json=reply)))
    with pytest.raises(DependencyUnavailable):
        embedder.embed(["one", "two"])


# --- the setting picks the adapter ---


def test_settings_choose_the_embedder(settings_env: pytest.MonkeyPatch):
    from lectern.config import get_settings

    def pick(**env: str) -> Any:
        for name, value in env.items():
            settings_env.setenv(name, value)
        get_settings.cache_clear()
        get_embedder.cache_clear()
        return get_embedder()

    assert pick(LECTERN_EMBEDDER="local").name == "local-hash-v2-256"
    openai = pick(LECTERN_EMBEDDER="openai", LECTERN_OPENAI_API_KEY="sk-x")
    assert (openai.provider, openai.name) == ("openai", "text-embedding-3-small/256")
    bedrock = pick(LECTERN_EMBEDDER="bedrock", LECTERN_EMBEDDING_DIMENSIONS="1024")
    assert (bedrock.provider, bedrock.name) == ("bedrock", "amazon.titan-embed-text-v2:0/1024")


def test_openai_without_a_key_is_a_503(settings_env: pytest.MonkeyPatch):
    from lectern.config import get_settings
    from lectern.embeddings.openai import openai_api_key

    settings_env.delenv("LECTERN_OPENAI_API_KEY", raising=False)
    settings_env.delenv("LECTERN_OPENAI_API_KEY_SECRET", raising=False)
    get_settings.cache_clear()
    with pytest.raises(DependencyUnavailable):
        openai_api_key()

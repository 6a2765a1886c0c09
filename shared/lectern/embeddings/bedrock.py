"""Amazon Bedrock Titan Text Embeddings v2 through ``bedrock-runtime`` ``InvokeModel``.

Titan v2 embeds one text per call and returns a unit vector of 256, 512 or 1024 floats
when asked to normalize. boto3 is imported when the embedder is made, never at import.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from lectern.config import SettingsGroup
from lectern.core.aws import bedrock_runtime_client, unavailable
from lectern.embeddings.port import normalize
from lectern.errors import DependencyUnavailable

TITAN_V2_DIMENSIONS = (256, 512, 1024)
# Titan v2 takes at most 8,192 tokens or 50,000 characters; chunks and queries are far
# shorter, so this only guards against a pathological input.
MAX_INPUT_CHARS = 50_000


class BedrockEmbeddingSettings(SettingsGroup):
    """Read only when ``LECTERN_EMBEDDER=bedrock``. The region defaults to
    ``LECTERN_AWS_REGION``."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_BEDROCK_")

    model_id: str = Field(
        default="amazon.titan-embed-text-v2:0",
        validation_alias="LECTERN_BEDROCK_EMBEDDING_MODEL_ID",
    )
    region: str | None = None


class BedrockEmbedder:
    provider = "bedrock"
    # One text per InvokeModel call; the batch size only sets how embed_all slices.
    max_batch = 32

    def __init__(self, model_id: str, dimensions: int, *, region: str, client: Any = None) -> None:
        if dimensions not in TITAN_V2_DIMENSIONS:
            raise ValueError(f"Titan Text Embeddings v2 makes {TITAN_V2_DIMENSIONS} dimensions")
        self.model_id = model_id
        self.dimensions = dimensions
        self.name = f"{model_id}/{dimensions}"
        # An embedding takes well under a second: a stalled call is retried once, quickly.
        self._client = client or bedrock_runtime_client(region, read_timeout=3, max_attempts=2)
        # Tokens Bedrock counted, for whoever wants to attribute the cost.
        self.input_tokens = 0

    def _embed_one(self, text: str) -> list[float]:
        from botocore.exceptions import BotoCoreError, ClientError

        if not text.strip():
            # Titan refuses empty input; an empty text has no direction anyway.
            return normalize([0.0] * self.dimensions)
        body = {
            "inputText": text[:MAX_INPUT_CHARS],
            "dimensions": self.dimensions,
            "normalize": True,
        }
        try:
            reply = self._client.invoke_model(
                modelId=self.model_id,
                body=json.dumps(body),
                contentType="application/json",
                accept="application/json",
            )
            payload = json.loads(reply["body"].read())
        except (BotoCoreError, ClientError) as exc:
            raise unavailable("embeddings", exc) from exc
        vector = payload.get("embedding")
        if not isinstance(vector, list) or len(vector) != self.dimensions:
            raise DependencyUnavailable("embeddings", "bedrock: malformed embedding")
        self.input_tokens += int(payload.get("inputTextTokenCount") or 0)
        # Titan already normalizes; doing it again costs nothing and keeps the promise.
        return normalize([float(x) for x in vector])

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed_one(text) for text in texts]

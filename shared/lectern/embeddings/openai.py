"""OpenAI embeddings over HTTP (``POST {base_url}/embeddings``), with httpx.

Up to 256 texts per call; the reply's ``data[]`` is put back in input order by ``index``.
The ``dimensions`` parameter shortens text-embedding-3 vectors to the configured size.
Rate limits (429) and server errors are retried once, then answered as a 503.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic_settings import SettingsConfigDict

from lectern.config import SettingsGroup, get_settings
from lectern.core.secrets import secret_or_value
from lectern.embeddings.port import normalize
from lectern.errors import DependencyUnavailable

MAX_BATCH = 256
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The longest wait a Retry-After may impose before the one retry: a request is waiting.
MAX_RETRY_WAIT_SECONDS = 2.0


class OpenAISettings(SettingsGroup):
    """Read only when ``LECTERN_EMBEDDER=openai``."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_OPENAI_")

    embedding_model: str = "text-embedding-3-small"
    api_key: str | None = None
    api_key_secret: str | None = None
    base_url: str = "https://api.openai.com/v1"


class OpenAIEmbedder:
    provider = "openai"
    max_batch = MAX_BATCH

    def __init__(
        self,
        model: str,
        dimensions: int,
        *,
        base_url: str,
        api_key: Callable[[], str],
        transport: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self.model = model
        self.dimensions = dimensions
        self.name = f"{model}/{dimensions}"
        # A callable, so a rotated secret is picked up from the parameters cache.
        self._api_key = api_key
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(10.0, connect=3.0),
            transport=transport,
        )
        self.input_tokens = 0

    def _post(self, inputs: list[str]) -> Any:
        import httpx

        body = {
            "model": self.model,
            "input": inputs,
            "dimensions": self.dimensions,
            "encoding_format": "float",
        }
        for attempt in (1, 2):
            try:
                reply = self._http.post(
                    "/embeddings",
                    json=body,
                    headers={"Authorization": f"Bearer {self._api_key()}"},
                )
            except httpx.HTTPError as exc:
                raise DependencyUnavailable("embeddings", f"openai: {type(exc).__name__}") from exc
            if reply.status_code in RETRY_STATUSES and attempt == 1:
                self._sleep(_retry_wait(reply.headers.get("retry-after")))
                continue
            if reply.status_code != 200:
                # The body may echo input; only the status reaches the logs.
                raise DependencyUnavailable("embeddings", f"openai: HTTP {reply.status_code}")
            try:
                return reply.json()
            except ValueError as exc:
                raise DependencyUnavailable("embeddings", "openai: reply is not JSON") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        # The API refuses empty strings; an empty text has no direction anyway.
        wanted = [i for i, text in enumerate(texts) if text.strip()]
        vectors = [normalize([0.0] * self.dimensions) for _ in texts]
        if not wanted:
            return vectors
        payload = self._post([texts[i] for i in wanted])
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list) or len(data) != len(wanted):
            raise DependencyUnavailable("embeddings", "openai: wrong number of embeddings")
        seen: set[int] = set()
        for item in data:
            index, vector = item.get("index"), item.get("embedding")
            if not isinstance(index, int) or not 0 <= index < len(wanted) or index in seen:
                raise DependencyUnavailable("embeddings", "openai: bad embedding index")
            seen.add(index)
            if not isinstance(vector, list) or len(vector) != self.dimensions:
                raise DependencyUnavailable("embeddings", "openai: malformed embedding")
            vectors[wanted[index]] = normalize([float(x) for x in vector])
        usage = payload.get("usage") or {}
        self.input_tokens += int(usage.get("prompt_tokens") or 0)
        return vectors

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), MAX_BATCH):
            vectors.extend(self._embed_batch(texts[start : start + MAX_BATCH]))
        return vectors


def _retry_wait(header: str | None) -> float:
    try:
        seconds = float(header) if header else 0.5
    except ValueError:
        seconds = 0.5
    return min(max(seconds, 0.0), MAX_RETRY_WAIT_SECONDS)


def openai_api_key(settings: OpenAISettings | None = None) -> str:
    """The key from the environment, or from Secrets Manager (cached) in AWS."""
    settings = settings or OpenAISettings()
    return secret_or_value(
        secret=settings.api_key_secret,
        value=settings.api_key,
        dependency="embeddings",
        setting="LECTERN_OPENAI_API_KEY",
        max_age=get_settings().aws.secret_max_age_seconds,
    )

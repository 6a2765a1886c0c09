"""Typed settings from the environment, validated at cold start.

In AWS the secrets are not in the environment: the settings name a Secrets Manager
secret or an SSM parameter, and ``lectern.core.secrets`` fetches them through
Powertools Parameters, cached for ``secret_max_age_seconds``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lectern.core.cache import cached_client
from lectern.core.secrets import secret_or_value

LOCAL_KV_TOKEN = "lectern-local-kv-token"  # noqa: S105 - the embedded emulator's token, refused in AWS


class SettingsGroup(BaseSettings):
    """A group of settings read from the environment on its own. Adapters' settings
    subclass it too, beside their adapter, and are read only when it is chosen: a
    function never validates settings of a provider it does not use."""

    # Fields are set by name in code and tests, by their variables in the environment.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LECTERN_", extra="ignore")

    env: Literal["local", "test", "dev", "prod"] = "local"

    # Postgres: a SQLAlchemy URL (postgresql+pg8000://...), or the secret holding it.
    database_url: str | None = None
    database_url_secret: str | None = None
    database_direct_url_secret: str | None = None
    db_pool_size: int = Field(default=1, ge=1, le=50)
    db_statement_timeout_ms: int = Field(default=5000, ge=100)
    db_tls: bool = False

    # Upstash Redis REST endpoint and its token (or the SSM parameter holding it).
    kv_url: str | None = None
    kv_token: str | None = None
    kv_token_parameter: str | None = None
    kv_timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    kv_prefix: str = "lectern"

    # Object storage: R2 (endpoint_url set) or S3.
    s3_bucket: str = "lectern-local"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_credentials_secret: str | None = None
    # Endpoint for the other AWS services (SES, SQS): only set locally, to moto.
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"

    mail_sender: str = "no-reply@lectern.local"
    magic_link_url: str = "http://localhost:3000/auth/magic"
    magic_link_ttl_minutes: int = Field(default=10, ge=1, le=15)
    session_ttl_hours: int = Field(default=168, ge=1, le=24 * 90)

    login_attempts_per_account: int = Field(default=10, ge=1)
    login_attempts_per_ip: int = Field(default=100, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    magic_links_per_email: int = Field(default=5, ge=1)
    magic_link_window_seconds: int = Field(default=900, ge=1)

    # Documents: uploads are presigned PUTs with the type and exact length signed in.
    document_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    document_content_types: list[str] = Field(
        default_factory=lambda: ["application/pdf", "text/markdown", "text/plain", "text/html"]
    )
    upload_url_ttl_seconds: int = Field(default=600, ge=60, le=3600)
    download_url_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    # Uploads never completed are deleted (row and object) this long after they began.
    abandoned_upload_hours: int = Field(default=24, ge=1)
    # The SQS queue the ingest function reads ("process document/lesson" messages and the
    # bucket's ObjectCreated notifications).
    ingest_queue_url: str | None = None
    # Chunking: words per chunk and words shared with the next one.
    chunk_words: int = Field(default=180, ge=20, le=2000)
    chunk_overlap_words: int = Field(default=30, ge=0, le=500)

    # Embeddings: "local" is deterministic and needs no model download.
    embedder: Literal["local", "bedrock", "openai"] = "local"
    embedding_dimensions: int = Field(default=256, ge=8, le=2000)
    # Answers: "local" quotes the best chunks; "bedrock" calls the Converse API.
    llm: Literal["local", "bedrock"] = "local"
    # Semantic searches and asks per learner per minute (each embeds the query).
    ai_requests_per_minute: int = Field(default=30, ge=1)
    # Monthly AI requests (ask) per plan.
    ai_monthly_requests: dict[str, int] = Field(default_factory=lambda: {"free": 50, "pro": 2000})

    search_backend: Literal["postgres", "typesense"] = "postgres"
    # Outbox rows that kept failing are kept this long for a look, then deleted.
    outbox_poison_keep_days: int = Field(default=14, ge=1)
    # Outbox rows the search_sync drain handles per batch.
    search_sync_batch: int = Field(default=200, ge=1, le=5000)

    # Raw events are kept this long (whole monthly partitions are dropped after it).
    analytics_retention_days: int = Field(default=90, ge=31, le=3650)
    # Months of event partitions the scheduler keeps made ahead of today.
    analytics_partitions_ahead: int = Field(default=2, ge=1, le=12)
    # Expired or revoked share links are deleted this long after they stopped working.
    share_cleanup_after_days: int = Field(default=30, ge=1)

    cors_origins: list[str] = Field(default_factory=list)
    secret_max_age_seconds: int = 300

    @property
    def is_local(self) -> bool:
        return self.env in ("local", "test")

    @model_validator(mode="after")
    def _refuse_local_defaults_in_aws(self) -> Settings:
        if not self.is_local and self.kv_token == LOCAL_KV_TOKEN:
            raise ValueError("LECTERN_KV_TOKEN holds the local emulator token outside local")
        if not self.is_local and self.aws_endpoint_url:
            raise ValueError("LECTERN_AWS_ENDPOINT_URL is for the local stack only")
        return self


@cached_client
def get_settings() -> Settings:
    return Settings()


def database_url(settings: Settings, *, direct: bool = False) -> str:
    return secret_or_value(
        secret=settings.database_direct_url_secret if direct else settings.database_url_secret,
        value=settings.database_url,
        dependency="database",
        setting="LECTERN_DATABASE_URL",
        max_age=settings.secret_max_age_seconds,
    )


def kv_token(settings: Settings) -> str:
    return secret_or_value(
        parameter=settings.kv_token_parameter,
        value=settings.kv_token,
        dependency="kv",
        setting="LECTERN_KV_TOKEN",
        max_age=settings.secret_max_age_seconds,
    )

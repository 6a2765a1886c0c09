"""Every LECTERN_* variable the flat settings class read still lands in its field.

The names are the ones the settings had before they were grouped (plus the adapters'
own), pinned here: a rename in a group or a lost alias fails this test.
"""

import os
from typing import Any

import pytest

from lectern.config import Settings
from lectern.embeddings.bedrock import BedrockEmbeddingSettings
from lectern.embeddings.openai import OpenAISettings
from lectern.ingest.cloudflare import CloudflareSettings
from lectern.llm.bedrock import BedrockLlmSettings
from lectern.search.typesense import TypesenseSettings

# variable: (where it lands, the value set, the value read)
GROUPED: dict[str, tuple[str, str, Any]] = {
    "LECTERN_ENV": ("env", "dev", "dev"),
    "LECTERN_DATABASE_URL": (
        "database.url",
        "postgresql+pg8000://u@h/d",
        "postgresql+pg8000://u@h/d",
    ),
    "LECTERN_DATABASE_URL_SECRET": ("database.url_secret", "db/pooled", "db/pooled"),
    "LECTERN_DATABASE_DIRECT_URL_SECRET": ("database.direct_url_secret", "db/direct", "db/direct"),
    "LECTERN_DB_POOL_SIZE": ("database.pool_size", "7", 7),
    "LECTERN_DB_STATEMENT_TIMEOUT_MS": ("database.statement_timeout_ms", "1234", 1234),
    "LECTERN_DB_TLS": ("database.tls", "true", True),
    "LECTERN_DB_SLOW_QUERY_MS": ("database.slow_query_ms", "250", 250),
    "LECTERN_DB_PREPARE_AFTER": ("database.prepare_after", "0", 0),
    "LECTERN_TEAMS_INVITATION_URL": ("teams.invitation_url", "https://a/t", "https://a/t"),
    "LECTERN_TEAMS_INVITATION_TTL_DAYS": ("teams.invitation_ttl_days", "3", 3),
    "LECTERN_TEAMS_INVITATIONS_PER_USER": ("teams.invitations_per_user", "4", 4),
    "LECTERN_TEAMS_INVITATIONS_PER_IP": ("teams.invitations_per_ip", "5", 5),
    "LECTERN_TEAMS_INVITATIONS_PER_HOUR": ("teams.invitations_per_hour", "6", 6),
    "LECTERN_TEAMS_INVITATION_KEEP_DAYS": ("teams.invitation_keep_days", "9", 9),
    "LECTERN_BILLING_POLAR_WEBHOOK_SECRET": ("billing.polar_webhook_secret", "s", "s"),
    "LECTERN_BILLING_POLAR_WEBHOOK_SECRET_SECRET": (
        "billing.polar_webhook_secret_secret",
        "polar/wh",
        "polar/wh",
    ),
    "LECTERN_BILLING_TEAM_SEATS": ("billing.team_seats", '{"free": 2}', {"free": 2}),
    "LECTERN_BILLING_RENEWAL_GRACE_MINUTES": ("billing.renewal_grace_minutes", "15", 15),
    "LECTERN_AUDIT_RETENTION_DAYS": ("audit.retention_days", "365", 365),
    "LECTERN_AUDIT_PARTITIONS_AHEAD": ("audit.partitions_ahead", "3", 3),
    "LECTERN_BACKUP_PREFIX": ("backup.prefix", "exports/", "exports/"),
    "LECTERN_BACKUP_SCRATCH_DATABASE_URL": (
        "backup.scratch_database_url",
        "postgresql+pg8000://u@h/scratch",
        "postgresql+pg8000://u@h/scratch",
    ),
    "LECTERN_BACKUP_SCRATCH_DATABASE_URL_SECRET": (
        "backup.scratch_database_url_secret",
        "db/scratch",
        "db/scratch",
    ),
    "LECTERN_KV_URL": ("kv.url", "https://kv.example", "https://kv.example"),
    "LECTERN_KV_TOKEN": ("kv.token", "kv-token", "kv-token"),
    "LECTERN_KV_TOKEN_PARAMETER": ("kv.token_parameter", "/kv/token", "/kv/token"),
    "LECTERN_KV_TIMEOUT_SECONDS": ("kv.timeout_seconds", "3.5", 3.5),
    "LECTERN_KV_PREFIX": ("kv.prefix", "lx", "lx"),
    "LECTERN_S3_BUCKET": ("storage.bucket", "bucket-x", "bucket-x"),
    "LECTERN_S3_ENDPOINT_URL": ("storage.endpoint_url", "https://r2.example", "https://r2.example"),
    "LECTERN_S3_REGION": ("storage.region", "auto", "auto"),
    "LECTERN_S3_CREDENTIALS_SECRET": ("storage.credentials_secret", "r2/keys", "r2/keys"),
    "LECTERN_AWS_REGION": ("aws.region", "eu-west-1", "eu-west-1"),
    "LECTERN_SECRET_MAX_AGE_SECONDS": ("aws.secret_max_age_seconds", "60", 60),
    "LECTERN_MAIL_SENDER": ("mail.sender", "a@b.example", "a@b.example"),
    "LECTERN_MAGIC_LINK_URL": ("auth.magic_link_url", "https://app/m", "https://app/m"),
    "LECTERN_MAGIC_LINK_TTL_MINUTES": ("auth.magic_link_ttl_minutes", "12", 12),
    "LECTERN_SESSION_TTL_HOURS": ("auth.session_ttl_hours", "24", 24),
    "LECTERN_LOGIN_ATTEMPTS_PER_ACCOUNT": ("auth.login_attempts_per_account", "11", 11),
    "LECTERN_LOGIN_ATTEMPTS_PER_IP": ("auth.login_attempts_per_ip", "101", 101),
    "LECTERN_LOGIN_WINDOW_SECONDS": ("auth.login_window_seconds", "901", 901),
    "LECTERN_MAGIC_LINKS_PER_EMAIL": ("auth.magic_links_per_email", "6", 6),
    "LECTERN_MAGIC_LINK_WINDOW_SECONDS": ("auth.magic_link_window_seconds", "902", 902),
    "LECTERN_DOCUMENT_MAX_BYTES": ("documents.max_bytes", "1000", 1000),
    "LECTERN_DOCUMENT_CONTENT_TYPES": ("documents.content_types", '["text/plain"]', ["text/plain"]),
    "LECTERN_UPLOAD_URL_TTL_SECONDS": ("documents.upload_url_ttl_seconds", "601", 601),
    "LECTERN_DOWNLOAD_URL_TTL_SECONDS": ("documents.download_url_ttl_seconds", "301", 301),
    "LECTERN_ABANDONED_UPLOAD_HOURS": ("documents.abandoned_upload_hours", "25", 25),
    "LECTERN_INGEST_QUEUE_URL": ("ingest.queue_url", "https://sqs/q", "https://sqs/q"),
    "LECTERN_CHUNK_WORDS": ("ingest.chunk_words", "181", 181),
    "LECTERN_CHUNK_OVERLAP_WORDS": ("ingest.chunk_overlap_words", "31", 31),
    "LECTERN_EMBEDDER": ("embeddings.provider", "openai", "openai"),
    "LECTERN_EMBEDDING_DIMENSIONS": ("embeddings.dimensions", "512", 512),
    "LECTERN_LLM": ("ai.llm", "bedrock", "bedrock"),
    "LECTERN_AI_REQUESTS_PER_MINUTE": ("ai.requests_per_minute", "31", 31),
    "LECTERN_AI_MONTHLY_REQUESTS": ("ai.monthly_requests", '{"free": 5}', {"free": 5}),
    "LECTERN_SEARCH_BACKEND": ("search.backend", "typesense", "typesense"),
    "LECTERN_SEARCH_SYNC_BATCH": ("search.sync_batch", "201", 201),
    "LECTERN_OUTBOX_POISON_KEEP_DAYS": ("outbox.poison_keep_days", "15", 15),
    "LECTERN_ANALYTICS_RETENTION_DAYS": ("analytics.retention_days", "91", 91),
    "LECTERN_ANALYTICS_PARTITIONS_AHEAD": ("analytics.partitions_ahead", "3", 3),
    "LECTERN_SHARE_CLEANUP_AFTER_DAYS": ("sharing.cleanup_after_days", "31", 31),
    "LECTERN_CORS_ORIGINS": (
        "api.cors_origins",
        '["https://app.example"]',
        ["https://app.example"],
    ),
}
# Refused outside local, so read in a local environment of its own.
LOCAL_ONLY = {"LECTERN_AWS_ENDPOINT_URL": ("aws.endpoint_url", "http://127.0.0.1:5000")}

ADAPTERS: dict[str, tuple[type, str, str, Any]] = {
    "LECTERN_TYPESENSE_URL": (TypesenseSettings, "url", "https://ts", "https://ts"),
    "LECTERN_TYPESENSE_API_KEY": (TypesenseSettings, "api_key", "ts-key", "ts-key"),
    "LECTERN_TYPESENSE_API_KEY_SECRET": (TypesenseSettings, "api_key_secret", "ts/k", "ts/k"),
    "LECTERN_TYPESENSE_COLLECTION": (TypesenseSettings, "collection", "c2", "c2"),
    "LECTERN_TYPESENSE_SEARCH_API_KEY": (TypesenseSettings, "search_api_key", "ts-s", "ts-s"),
    "LECTERN_TYPESENSE_SEARCH_API_KEY_SECRET": (
        TypesenseSettings,
        "search_api_key_secret",
        "ts/s",
        "ts/s",
    ),
    "LECTERN_BEDROCK_EMBEDDING_MODEL_ID": (BedrockEmbeddingSettings, "model_id", "t3", "t3"),
    "LECTERN_BEDROCK_REGION": (BedrockEmbeddingSettings, "region", "us-west-2", "us-west-2"),
    "LECTERN_BEDROCK_LLM_MODEL_ID": (BedrockLlmSettings, "model_id", "nova", "nova"),
    "LECTERN_OPENAI_EMBEDDING_MODEL": (OpenAISettings, "embedding_model", "te-3", "te-3"),
    "LECTERN_OPENAI_API_KEY": (OpenAISettings, "api_key", "sk-1", "sk-1"),
    "LECTERN_OPENAI_API_KEY_SECRET": (OpenAISettings, "api_key_secret", "oa/k", "oa/k"),
    "LECTERN_OPENAI_BASE_URL": (OpenAISettings, "base_url", "https://oa", "https://oa"),
    "LECTERN_CLOUDFLARE_ACCOUNT_ID": (CloudflareSettings, "account_id", "acc", "acc"),
    "LECTERN_CLOUDFLARE_QUEUE_ID": (CloudflareSettings, "queue_id", "q", "q"),
    "LECTERN_CLOUDFLARE_API_TOKEN": (CloudflareSettings, "api_token", "cf", "cf"),
    "LECTERN_CLOUDFLARE_API_TOKEN_SECRET": (CloudflareSettings, "api_token_secret", "cf/t", "cf/t"),
    "LECTERN_CLOUDFLARE_API_URL": (CloudflareSettings, "api_url", "https://cf", "https://cf"),
}


@pytest.fixture(autouse=True)
def _only_these_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("LECTERN_")]:
        monkeypatch.delenv(name)


def _at(settings: Any, path: str) -> Any:
    for part in path.split("."):
        settings = getattr(settings, part)
    return settings


def test_every_variable_lands_in_its_group(monkeypatch: pytest.MonkeyPatch):
    for name, (_, raw, _) in GROUPED.items():
        monkeypatch.setenv(name, raw)
    settings = Settings()
    read = {name: _at(settings, path) for name, (path, _, _) in GROUPED.items()}
    assert read == {name: expected for name, (_, _, expected) in GROUPED.items()}


def test_the_local_aws_endpoint_lands_in_the_aws_group(monkeypatch: pytest.MonkeyPatch):
    for name, (path, raw) in LOCAL_ONLY.items():
        monkeypatch.setenv(name, raw)
        assert _at(Settings(), path) == raw


def test_every_adapter_variable_lands_beside_its_adapter(monkeypatch: pytest.MonkeyPatch):
    for name, (_, _, raw, _) in ADAPTERS.items():
        monkeypatch.setenv(name, raw)
    read = {name: getattr(group(), field) for name, (group, field, _, _) in ADAPTERS.items()}
    assert read == {name: expected for name, (_, _, _, expected) in ADAPTERS.items()}
    # One region for both Bedrock adapters.
    assert BedrockLlmSettings().region == "us-west-2"


def test_every_old_name_is_covered():
    """The variables of the settings before they were grouped, all of them here."""
    old = """
        ENV DATABASE_URL DATABASE_URL_SECRET DATABASE_DIRECT_URL_SECRET DB_POOL_SIZE
        DB_STATEMENT_TIMEOUT_MS DB_TLS KV_URL KV_TOKEN KV_TOKEN_PARAMETER KV_TIMEOUT_SECONDS
        KV_PREFIX S3_BUCKET S3_ENDPOINT_URL S3_REGION S3_CREDENTIALS_SECRET AWS_ENDPOINT_URL
        AWS_REGION MAIL_SENDER MAGIC_LINK_URL MAGIC_LINK_TTL_MINUTES SESSION_TTL_HOURS
        LOGIN_ATTEMPTS_PER_ACCOUNT LOGIN_ATTEMPTS_PER_IP LOGIN_WINDOW_SECONDS
        MAGIC_LINKS_PER_EMAIL MAGIC_LINK_WINDOW_SECONDS DOCUMENT_MAX_BYTES
        DOCUMENT_CONTENT_TYPES UPLOAD_URL_TTL_SECONDS DOWNLOAD_URL_TTL_SECONDS
        ABANDONED_UPLOAD_HOURS INGEST_QUEUE_URL CHUNK_WORDS CHUNK_OVERLAP_WORDS
        CLOUDFLARE_ACCOUNT_ID CLOUDFLARE_QUEUE_ID CLOUDFLARE_API_TOKEN
        CLOUDFLARE_API_TOKEN_SECRET CLOUDFLARE_API_URL EMBEDDER EMBEDDING_DIMENSIONS
        BEDROCK_EMBEDDING_MODEL_ID OPENAI_EMBEDDING_MODEL OPENAI_API_KEY OPENAI_API_KEY_SECRET
        OPENAI_BASE_URL LLM BEDROCK_LLM_MODEL_ID BEDROCK_REGION AI_REQUESTS_PER_MINUTE
        AI_MONTHLY_REQUESTS SEARCH_BACKEND TYPESENSE_URL TYPESENSE_API_KEY
        TYPESENSE_API_KEY_SECRET TYPESENSE_COLLECTION OUTBOX_POISON_KEEP_DAYS
        SEARCH_SYNC_BATCH ANALYTICS_RETENTION_DAYS ANALYTICS_PARTITIONS_AHEAD
        SHARE_CLEANUP_AFTER_DAYS CORS_ORIGINS SECRET_MAX_AGE_SECONDS
    """
    added_since = {
        "LECTERN_TYPESENSE_SEARCH_API_KEY",
        "LECTERN_TYPESENSE_SEARCH_API_KEY_SECRET",
        "LECTERN_DB_SLOW_QUERY_MS",
        "LECTERN_DB_PREPARE_AFTER",
        "LECTERN_AUDIT_RETENTION_DAYS",
        "LECTERN_AUDIT_PARTITIONS_AHEAD",
        "LECTERN_BACKUP_PREFIX",
        "LECTERN_BACKUP_SCRATCH_DATABASE_URL",
        "LECTERN_BACKUP_SCRATCH_DATABASE_URL_SECRET",
        "LECTERN_TEAMS_INVITATION_URL",
        "LECTERN_TEAMS_INVITATION_TTL_DAYS",
        "LECTERN_TEAMS_INVITATIONS_PER_USER",
        "LECTERN_TEAMS_INVITATIONS_PER_IP",
        "LECTERN_TEAMS_INVITATIONS_PER_HOUR",
        "LECTERN_TEAMS_INVITATION_KEEP_DAYS",
        "LECTERN_BILLING_POLAR_WEBHOOK_SECRET",
        "LECTERN_BILLING_POLAR_WEBHOOK_SECRET_SECRET",
        "LECTERN_BILLING_TEAM_SEATS",
        "LECTERN_BILLING_RENEWAL_GRACE_MINUTES",
    }
    assert {f"LECTERN_{n}" for n in old.split()} | added_since == (
        set(GROUPED) | set(LOCAL_ONLY) | set(ADAPTERS)
    )


def test_a_group_field_is_not_read_under_a_new_name(monkeypatch: pytest.MonkeyPatch):
    # Only the old names work: the group's prefix does not invent a second one.
    monkeypatch.setenv("LECTERN_DATABASE_POOL_SIZE", "9")
    monkeypatch.setenv("LECTERN_EMBEDDING_PROVIDER", "openai")
    settings = Settings()
    assert (settings.database.pool_size, settings.embeddings.provider) == (1, "local")

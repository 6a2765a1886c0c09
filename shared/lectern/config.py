"""Typed settings from the environment, validated at cold start.

One group per concern (``get_settings().kv.url``, ``.search.backend`` ...), each reading
the same ``LECTERN_*`` variables the settings always had: a group's prefix where the
names share one, the old name itself (``validation_alias``) where they do not.

In AWS the secrets are not in the environment: the settings name a Secrets Manager
secret or an SSM parameter, and ``lectern.core.secrets`` fetches them through
Powertools Parameters, cached for ``secret_max_age_seconds``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from lectern.core.cache import cached_client
from lectern.core.secrets import secret_or_value

LOCAL_KV_TOKEN = "lectern-local-kv-token"  # noqa: S105 - the embedded emulator's token, refused in AWS
# Signs unsubscribe tokens locally and in tests only; in AWS the key is a secret.
LOCAL_SIGNING_KEY = "lectern-local-signing-key"
# The local stack's Polar webhook secret (Standard Webhooks form); refused outside local.
LOCAL_POLAR_WEBHOOK_SECRET = "whsec_bGVjdGVybi1sb2NhbC13ZWJob29rLXNlY3JldA=="  # noqa: S105


class SettingsGroup(BaseSettings):
    """A group of settings read from the environment on its own. Adapters' settings
    subclass it too, beside their adapter, and are read only when it is chosen: a
    function never validates settings of a provider it does not use."""

    # Fields are set by name in code and tests, by their variables in the environment.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # By name for the code only: the environment source would otherwise also read an
        # aliased field as prefix + name (LECTERN_DATABASE_POOL_SIZE beside
        # LECTERN_DB_POOL_SIZE), inventing variables nobody set before.
        env_settings.config = SettingsConfigDict(
            **{**env_settings.config, "populate_by_name": False}
        )
        return init_settings, env_settings, dotenv_settings, file_secret_settings


class DatabaseSettings(SettingsGroup):
    """Postgres: a SQLAlchemy URL (postgresql+pg8000://...), or the secret holding it."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_DATABASE_")

    url: str | None = None
    url_secret: str | None = None
    # The direct (non-pooled) endpoint, for migrations.
    direct_url_secret: str | None = None
    pool_size: int = Field(default=1, ge=1, le=50, validation_alias="LECTERN_DB_POOL_SIZE")
    statement_timeout_ms: int = Field(
        default=5000, ge=100, validation_alias="LECTERN_DB_STATEMENT_TIMEOUT_MS"
    )
    tls: bool = Field(default=False, validation_alias="LECTERN_DB_TLS")
    # Statements slower than this are logged with the route and their normalized text.
    slow_query_ms: int = Field(default=500, ge=1, validation_alias="LECTERN_DB_SLOW_QUERY_MS")
    # A statement run this many times on a connection is prepared; 0 never (a pooler
    # without protocol-level prepared statements: PgBouncer before 1.21, or with
    # max_prepared_statements = 0).
    prepare_after: int = Field(default=3, ge=0, validation_alias="LECTERN_DB_PREPARE_AFTER")


class KvSettings(SettingsGroup):
    """Upstash Redis REST endpoint and its token (or the SSM parameter holding it)."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_KV_")

    url: str | None = None
    token: str | None = None
    token_parameter: str | None = None
    timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    prefix: str = "lectern"


class StorageSettings(SettingsGroup):
    """Object storage: R2 (endpoint_url set) or S3."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_S3_")

    bucket: str = "lectern-local"
    endpoint_url: str | None = None
    region: str = "us-east-1"
    # A secret holding {"access_key_id", "secret_access_key"} (R2).
    credentials_secret: str | None = None


class AwsSettings(SettingsGroup):
    """The other AWS services (SES, SQS), and how long secrets are cached."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_AWS_")

    # Only set locally, to moto.
    endpoint_url: str | None = None
    region: str = "us-east-1"
    secret_max_age_seconds: int = Field(
        default=300, validation_alias="LECTERN_SECRET_MAX_AGE_SECONDS"
    )


class MailSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix="LECTERN_MAIL_")

    sender: str = "no-reply@lectern.local"


class AuthSettings(SettingsGroup):
    """Magic links, sessions and the login throttles."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_")

    magic_link_url: str = "http://localhost:3000/auth/magic"
    # The frontend page that POSTs a verification link's token to .../confirm.
    email_verification_url: str = "http://localhost:3000/auth/verify-email"
    magic_link_ttl_minutes: int = Field(default=10, ge=1, le=15)
    session_ttl_hours: int = Field(default=168, ge=1, le=24 * 90)

    # Failed logins only, in login_window_seconds: per account and address together
    # (what locks out, for that address only), per account from anywhere (a higher
    # ceiling against guesses spread over addresses), and per address across accounts.
    login_failures_per_account_ip: int = Field(default=10, ge=1)
    login_attempts_per_account: int = Field(default=100, ge=1)
    login_attempts_per_ip: int = Field(default=100, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    magic_links_per_email: int = Field(default=5, ge=1)
    magic_link_window_seconds: int = Field(default=900, ge=1)
    # Per source address (API Gateway's sourceIp) in magic_link_window_seconds.
    magic_links_per_ip: int = Field(default=20, ge=1)

    # Sign-ups per source address and for the whole platform, per hour: each one costs a
    # verification mail and a trial AI quota.
    registrations_per_ip: int = Field(default=10, ge=1)
    registrations_per_hour: int = Field(default=1000, ge=1)
    # Every mail auth sends (magic links, verification links), per hour, platform-wide.
    mail_per_hour: int = Field(default=2000, ge=1)
    # Verification links: how long one works, and how many a user may ask for per hour.
    email_verification_ttl_hours: int = Field(default=24, ge=1, le=24 * 7)
    verification_mails_per_user: int = Field(default=5, ge=1)
    # Password resets: the frontend page that POSTs the mailed token to .../confirm, how
    # long a link works (at most 15 minutes), and how many mails per mailbox and per
    # source address in password_reset_window_seconds.
    password_reset_url: str = "http://localhost:3000/auth/reset-password"  # noqa: S105 - a URL
    password_reset_ttl_minutes: int = Field(default=15, ge=1, le=15)
    password_resets_per_email: int = Field(default=3, ge=1)
    password_resets_per_ip: int = Field(default=20, ge=1)
    password_reset_window_seconds: int = Field(default=900, ge=1)


class DocumentSettings(SettingsGroup):
    """Uploads are presigned PUTs with the type and exact length signed in."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_DOCUMENT_")

    max_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    content_types: list[str] = Field(
        default_factory=lambda: ["application/pdf", "text/markdown", "text/plain", "text/html"]
    )
    upload_url_ttl_seconds: int = Field(
        default=600, ge=60, le=3600, validation_alias="LECTERN_UPLOAD_URL_TTL_SECONDS"
    )
    download_url_ttl_seconds: int = Field(
        default=300, ge=30, le=3600, validation_alias="LECTERN_DOWNLOAD_URL_TTL_SECONDS"
    )
    # Uploads never completed are deleted (row and object) this long after they began.
    abandoned_upload_hours: int = Field(
        default=24, ge=1, validation_alias="LECTERN_ABANDONED_UPLOAD_HOURS"
    )

    # What one learner may keep: documents, and the bytes they declared (pending uploads
    # included, so an upload's room is taken when its URL is handed out).
    quota_documents: int = Field(default=200, ge=1)
    quota_bytes: int = Field(default=1024 * 1024 * 1024, ge=1)
    # Uploads begun per hour: per learner, per source address, platform-wide. Each one
    # can become a paid extraction and embedding run.
    uploads_per_user: int = Field(default=30, ge=1)
    uploads_per_ip: int = Field(default=60, ge=1)
    uploads_per_hour: int = Field(default=2000, ge=1)


class IngestSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix="LECTERN_INGEST_")

    # The SQS queue the ingest function reads ("process document/lesson" messages and
    # the bucket's ObjectCreated notifications).
    queue_url: str | None = None
    # Chunking: words per chunk and words shared with the next one.
    chunk_words: int = Field(default=180, ge=20, le=2000, validation_alias="LECTERN_CHUNK_WORDS")
    chunk_overlap_words: int = Field(
        default=30, ge=0, le=500, validation_alias="LECTERN_CHUNK_OVERLAP_WORDS"
    )

    # What one document may cost to read; past any of them it ends failed, once, with the
    # reason, and nothing is embedded. Reading stops as soon as a cap is crossed.
    max_pages: int = Field(default=1000, ge=1)
    max_characters: int = Field(default=1_000_000, ge=1)
    max_chunks: int = Field(default=1500, ge=1)
    # Bytes a PDF's streams unpack to (and characters of text it yields) per byte
    # uploaded: text PDFs stay under about 10; a compression bomb runs to hundreds.
    max_expansion: float = Field(default=50.0, gt=1)
    # Download, extraction and embedding of one document; the handler starts a job only
    # with this and a margin for the write left before the Lambda timeout, so a timeout
    # never sends a half-done job back to the queue to be paid for again.
    job_seconds: float = Field(default=120.0, gt=0, le=600)


class EmbeddingSettings(SettingsGroup):
    """Which embedder, and its vectors' size; the provider's own settings are beside its
    adapter."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_EMBEDDING_")

    # "local" is deterministic and needs no model download.
    provider: Literal["local", "bedrock", "openai"] = Field(
        default="local", validation_alias="LECTERN_EMBEDDER"
    )
    dimensions: int = Field(default=256, ge=8, le=2000)


class AiSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix="LECTERN_AI_")

    # Answers: "local" quotes the best chunks; "bedrock" calls the Converse API.
    llm: Literal["local", "bedrock"] = Field(default="local", validation_alias="LECTERN_LLM")
    # Semantic searches and asks per learner per minute (each embeds the query).
    requests_per_minute: int = Field(default=30, ge=1)
    # Monthly AI requests (ask) per plan, for verified addresses.
    monthly_requests: dict[str, int] = Field(default_factory=lambda: {"free": 50, "pro": 2000})
    # Until the address is verified, whatever the plan: sign-ups are free to make.
    trial_monthly_requests: int = Field(default=5, ge=0)
    # What the whole platform may spend on models in a month (US cents); past it asks
    # answer 503 until the next month.
    monthly_spend_cap_cents: int = Field(default=50_000, ge=0)
    # Messages one conversation may hold (user and assistant each count): past it a new
    # message is refused and the learner starts another chat.
    chat_max_messages: int = Field(default=100, ge=2, le=1000)
    # Earlier turns sent to the model with a new message, newest first, within this many
    # (estimated) tokens.
    chat_history_tokens: int = Field(default=1500, ge=0, le=20_000)


class StudySettings(SettingsGroup):
    """Spaced repetition with FSRS (the ``fsrs`` package's scheduler and defaults)."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_STUDY_")

    # New cards a learner starts a day unless their preferences say otherwise (Anki's 20).
    new_cards_per_day: int = Field(default=20, ge=0, le=9999)
    # The recall probability FSRS schedules for, and the longest interval it may give.
    desired_retention: float = Field(default=0.9, ge=0.7, le=0.99)
    maximum_interval_days: int = Field(default=36500, ge=1, le=36500)
    # FSRS spreads review intervals of 3+ days by a few percent so cards learnt together
    # do not stay together; off gives the bare intervals (tests compare them).
    fuzz: bool = True
    # The daily "cards are due" notification goes out at the first run after this hour.
    reminder_hour_utc: int = Field(default=6, ge=0, le=23)


class AssessmentSettings(SettingsGroup):
    """Exams: how many a learner may start, and how far pauses may stretch a time limit."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_EXAM_")

    # Exams a learner may start per hour: each draw writes its questions and exposures.
    starts_per_hour: int = Field(default=60, ge=1, validation_alias="LECTERN_EXAMS_PER_HOUR")
    # Exam mode only (practice is the learner's own pace): pauses per exam, and the paused
    # time in all that stops a time limit's clock; past it the clock runs while paused.
    max_pauses: int = Field(default=3, ge=0)
    max_paused_minutes: int = Field(default=10, ge=0, le=24 * 60)


class ForumSettings(SettingsGroup):
    """What one member may post: each thread or reply can mail every follower."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_FORUM_")

    # Threads and replies together, per member per hour.
    posts_per_hour: int = Field(default=60, ge=1)
    # Flags per member per hour (each lands in a moderator's queue).
    flags_per_hour: int = Field(default=30, ge=1)


class SearchSettings(SettingsGroup):
    """Which full-text index; Typesense's own settings are beside its adapter."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_SEARCH_")

    backend: Literal["postgres", "typesense"] = "postgres"
    # Outbox rows the search_sync drain handles per batch.
    sync_batch: int = Field(default=200, ge=1, le=5000)


class OutboxSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix="LECTERN_OUTBOX_")

    # Outbox rows that kept failing are kept this long for a look, then deleted.
    poison_keep_days: int = Field(default=14, ge=1)
    # The relay worker (mail ...): rows leased per batch, and how long a lease lasts. A
    # lease must outlast the worker's timeout, or a slow run's rows could be leased again.
    relay_batch: int = Field(default=50, ge=1, le=1000)
    relay_lease_seconds: int = Field(default=600, ge=30, le=86_400)


class NotificationSettings(SettingsGroup):
    """Notification mail: the key that signs unsubscribe tokens, the links mail carries,
    and when the daily digest goes out."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_NOTIFICATIONS_")

    # HMAC key of the unsubscribe tokens (locally a fixed one), or the secret holding it.
    signing_key: str | None = None
    signing_key_secret: str | None = None
    # The API's one-click endpoint: mail clients POST to it (RFC 8058 List-Unsubscribe).
    unsubscribe_url: str = "http://localhost:8000/v1/notifications/unsubscribe"
    # The frontend page the mail's text links to; it POSTs the token it gets.
    unsubscribe_page_url: str = "http://localhost:3000/notifications/unsubscribe"
    # A notification's link is a path of the frontend: mail puts this before it.
    app_url: str = "http://localhost:3000"
    # The daily digest holds what was due before this hour (UTC), and goes out at the
    # first scheduled run after it.
    digest_hour_utc: int = Field(default=7, ge=0, le=23)


class TeamSettings(SettingsGroup):
    """Teams: the invitation mail's link and lifetime, and what sending them may cost."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_TEAMS_")

    # The frontend page the invitation mail links to; it gets token= and POSTs it to
    # /v1/team-invitations/accept once the invitee is signed in.
    invitation_url: str = "http://localhost:3000/teams/accept"
    invitation_ttl_days: int = Field(default=7, ge=1, le=30)
    # Invitation mails per inviter, per source address and platform-wide, per hour.
    invitations_per_user: int = Field(default=30, ge=1)
    invitations_per_ip: int = Field(default=60, ge=1)
    invitations_per_hour: int = Field(default=2000, ge=1)
    # Expired or answered invitations are deleted this long after.
    invitation_keep_days: int = Field(default=30, ge=1)


class BillingSettings(SettingsGroup):
    """Subscriptions (Polar): the webhook secret, and what each plan entitles to. The
    plan's AI requests a month are ``ai.monthly_requests``."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_BILLING_")

    # Polar's webhook secret (locally a fixed one), or the Secrets Manager secret holding it.
    polar_webhook_secret: str | None = None
    polar_webhook_secret_secret: str | None = None
    # Seats of a team on each plan (a team subscription's own metadata.seats wins).
    team_seats: dict[str, int] = Field(default_factory=lambda: {"free": 5, "pro": 50})
    # An active subscription still entitles this long past its period's end, while the
    # renewal's webhook is on its way.
    renewal_grace_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)


class BadgeSettings(SettingsGroup):
    """Open Badges credentials: the issuer's Ed25519 key and the URLs they name."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_BADGES_")

    # The PKCS#8 PEM of the Ed25519 key, or the secret holding it (AWS). Locally, with
    # neither set, a key made on first use in this file.
    signing_key: str | None = None
    signing_key_secret: str | None = None
    signing_key_file: str = ".local-data/badges-signing-key.pem"
    # The API's public base: credentials, achievements and the issuer profile are URLs
    # under it.
    base_url: str = Field(default="http://localhost:8000", pattern=r"^https?://[^/\s]+(/[^\s]*)?$")
    issuer_name: str = Field(default="Lectern", min_length=1, max_length=200)
    # The issuer's home page, shown to whoever checks a badge.
    issuer_homepage: str = "http://localhost:3000"


class AnalyticsSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix="LECTERN_ANALYTICS_")

    # Raw events are kept this long (whole monthly partitions are dropped after it).
    retention_days: int = Field(default=90, ge=31, le=3650)
    # Months of event partitions the scheduler keeps made ahead of today.
    partitions_ahead: int = Field(default=2, ge=1, le=12)
    # POST /v1/events batches per learner per minute (each holds up to 500 events).
    event_batches_per_minute: int = Field(default=60, ge=1)


class AuditSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix="LECTERN_AUDIT_")

    # Audit rows are kept this long (whole monthly partitions are dropped after it).
    retention_days: int = Field(default=400, ge=31, le=3650)
    # Months of audit partitions the scheduler keeps made ahead of today.
    partitions_ahead: int = Field(default=2, ge=1, le=12)


class BackupSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix="LECTERN_BACKUP_")

    # Where in the bucket backups go: <prefix><id>/<table>.csv.gz and manifest.json.
    prefix: str = Field(default="backups/", pattern=r"^[a-z0-9_-]+/$")
    # The database verification restores into (emptied first): in AWS a Neon branch kept
    # for it. Unset locally: a database made beside the app's and dropped after.
    scratch_database_url: str | None = None
    scratch_database_url_secret: str | None = None


class SharingSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix="LECTERN_SHARE_")

    # Expired or revoked share links are deleted this long after they stopped working.
    cleanup_after_days: int = Field(default=30, ge=1)


class ApiSettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix="LECTERN_")

    cors_origins: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    """Every group; each reads its own variables (``LECTERN_KV_URL`` is ``kv.url``)."""

    model_config = SettingsConfigDict(env_prefix="LECTERN_", extra="ignore")

    env: Literal["local", "test", "dev", "prod"] = "local"

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    kv: KvSettings = Field(default_factory=KvSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    aws: AwsSettings = Field(default_factory=AwsSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    ai: AiSettings = Field(default_factory=AiSettings)
    study: StudySettings = Field(default_factory=StudySettings)
    assessment: AssessmentSettings = Field(default_factory=AssessmentSettings)
    forums: ForumSettings = Field(default_factory=ForumSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    teams: TeamSettings = Field(default_factory=TeamSettings)
    billing: BillingSettings = Field(default_factory=BillingSettings)

    badges: BadgeSettings = Field(default_factory=BadgeSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    sharing: SharingSettings = Field(default_factory=SharingSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)

    @property
    def is_local(self) -> bool:
        return self.env in ("local", "test")

    @model_validator(mode="after")
    def _refuse_local_defaults_in_aws(self) -> Settings:
        if not self.is_local and self.kv.token == LOCAL_KV_TOKEN:
            raise ValueError("LECTERN_KV_TOKEN holds the local emulator token outside local")
        if not self.is_local and self.aws.endpoint_url:
            raise ValueError("LECTERN_AWS_ENDPOINT_URL is for the local stack only")
        if not self.is_local and self.notifications.signing_key == LOCAL_SIGNING_KEY:
            raise ValueError("LECTERN_NOTIFICATIONS_SIGNING_KEY holds the local key outside local")
        if not self.is_local and self.billing.polar_webhook_secret == LOCAL_POLAR_WEBHOOK_SECRET:
            raise ValueError(
                "LECTERN_BILLING_POLAR_WEBHOOK_SECRET holds the local one outside local"
            )
        return self


@cached_client
def get_settings() -> Settings:
    return Settings()


def database_url(settings: Settings, *, direct: bool = False) -> str:
    return secret_or_value(
        secret=settings.database.direct_url_secret if direct else settings.database.url_secret,
        value=settings.database.url,
        dependency="database",
        setting="LECTERN_DATABASE_URL",
        max_age=settings.aws.secret_max_age_seconds,
    )


def kv_token(settings: Settings) -> str:
    return secret_or_value(
        parameter=settings.kv.token_parameter,
        value=settings.kv.token,
        dependency="kv",
        setting="LECTERN_KV_TOKEN",
        max_age=settings.aws.secret_max_age_seconds,
    )


def signing_key(settings: Settings) -> bytes:
    """The key that signs unsubscribe tokens: the secret in AWS, a fixed one locally."""
    local = LOCAL_SIGNING_KEY if settings.is_local else None
    return secret_or_value(
        secret=settings.notifications.signing_key_secret,
        value=settings.notifications.signing_key or local,
        dependency="signing-key",
        setting="LECTERN_NOTIFICATIONS_SIGNING_KEY",
        max_age=settings.aws.secret_max_age_seconds,
    ).encode()


def polar_webhook_secret(settings: Settings) -> str:
    """Polar's webhook secret: the secret in AWS, a fixed one locally."""
    local = LOCAL_POLAR_WEBHOOK_SECRET if settings.is_local else None
    return secret_or_value(
        secret=settings.billing.polar_webhook_secret_secret,
        value=settings.billing.polar_webhook_secret or local,
        dependency="billing-webhook-secret",
        setting="LECTERN_BILLING_POLAR_WEBHOOK_SECRET",
        max_age=settings.aws.secret_max_age_seconds,
    )

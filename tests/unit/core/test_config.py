import os

import pytest
from pydantic import ValidationError

from lectern.config import (
    LOCAL_KV_TOKEN,
    AuthSettings,
    AwsSettings,
    DatabaseSettings,
    KvSettings,
    Settings,
)


@pytest.fixture(autouse=True)
def _no_lectern_environment(monkeypatch):
    """Only what each test sets: the session's stack may have exported its own settings."""
    for name in [n for n in os.environ if n.startswith("LECTERN_")]:
        monkeypatch.delenv(name)


def test_local_emulator_token_is_refused_outside_local():
    with pytest.raises(ValidationError, match="emulator token"):
        Settings(env="prod", kv=KvSettings(token=LOCAL_KV_TOKEN))
    assert Settings(env="test", kv=KvSettings(token=LOCAL_KV_TOKEN)).kv.token == LOCAL_KV_TOKEN


def test_local_aws_endpoint_is_refused_in_aws():
    with pytest.raises(ValidationError, match="local stack only"):
        Settings(env="dev", aws=AwsSettings(endpoint_url="http://127.0.0.1:5000"))


def test_magic_link_lifetime_is_capped_at_fifteen_minutes():
    assert Settings().auth.magic_link_ttl_minutes == 10
    with pytest.raises(ValidationError):
        Settings(auth=AuthSettings(magic_link_ttl_minutes=16))


def test_settings_come_from_prefixed_environment(monkeypatch):
    monkeypatch.setenv("LECTERN_SESSION_TTL_HOURS", "12")
    monkeypatch.setenv("LECTERN_CORS_ORIGINS", '["https://app.example.com"]')
    settings = Settings()
    assert settings.auth.session_ttl_hours == 12
    assert settings.api.cors_origins == ["https://app.example.com"]


def test_database_connections_use_tls_when_asked():
    import ssl

    from lectern.core.tls import client_context
    from lectern.db.engine import connect_args

    # False, not None: pg8000 neither builds a context nor asks the server for TLS
    assert connect_args(Settings(database=DatabaseSettings(tls=False)))["ssl_context"] is False
    context = connect_args(Settings(database=DatabaseSettings(tls=True)))["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context is client_context()  # one per container, the KV client's too


def test_one_pre_pinged_connection_per_container_by_default():
    from sqlalchemy.pool import QueuePool

    from lectern.db.engine import make_engine

    engine = make_engine(
        Settings(database=DatabaseSettings(url="postgresql+pg8000://u@db.invalid/lectern"))
    )
    try:
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (1, 0)
        assert pool._pre_ping is True
    finally:
        engine.dispose()

"""In AWS, secrets come from Secrets Manager and SSM through Powertools Parameters (moto here)."""

from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from lectern.config import DatabaseSettings, KvSettings, Settings, database_url, kv_token
from local.stack import LocalStack


@pytest.fixture
def aws(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    # Powertools builds default boto3 clients; AWS_ENDPOINT_URL points them at moto.
    monkeypatch.setenv("AWS_ENDPOINT_URL", stack.env["LECTERN_AWS_ENDPOINT_URL"])
    # These settings describe a deployed stage, where the local-only values are refused.
    for name in ("LECTERN_AWS_ENDPOINT_URL", "LECTERN_KV_TOKEN", "LECTERN_DATABASE_URL"):
        monkeypatch.delenv(name)
    parameters.clear_caches()
    kwargs = {"endpoint_url": stack.env["LECTERN_AWS_ENDPOINT_URL"], "region_name": "us-east-1"}
    yield kwargs
    parameters.clear_caches()


def test_database_url_comes_from_its_secret_and_is_cached(aws: dict[str, str]):
    secrets = boto3.client("secretsmanager", **aws)
    secrets.create_secret(
        Name="lectern/test/db-url", SecretString="postgresql+pg8000://u:p@neon/db"
    )
    settings = Settings(
        env="dev",
        database=DatabaseSettings(url_secret="lectern/test/db-url"),
        kv=KvSettings(token="t"),
    )
    assert database_url(settings) == "postgresql+pg8000://u:p@neon/db"
    secrets.put_secret_value(
        SecretId="lectern/test/db-url", SecretString="postgresql+pg8000://rotated"
    )
    assert database_url(settings) == "postgresql+pg8000://u:p@neon/db"  # cached for max_age
    parameters.clear_caches()
    assert database_url(settings) == "postgresql+pg8000://rotated"


def test_migrations_use_the_direct_endpoint_secret(aws: dict[str, str]):
    secrets = boto3.client("secretsmanager", **aws)
    secrets.create_secret(Name="lectern/test/pooled", SecretString="postgresql+pg8000://pooled")
    secrets.create_secret(Name="lectern/test/direct", SecretString="postgresql+pg8000://direct")
    settings = Settings(
        env="dev",
        database=DatabaseSettings(
            url_secret="lectern/test/pooled", direct_url_secret="lectern/test/direct"
        ),
        kv=KvSettings(token="t"),
    )
    assert database_url(settings) == "postgresql+pg8000://pooled"
    assert database_url(settings, direct=True) == "postgresql+pg8000://direct"


def test_kv_token_comes_from_an_ssm_secure_string(aws: dict[str, str]):
    boto3.client("ssm", **aws).put_parameter(
        Name="/lectern/test/kv-token", Value="upstash-secret", Type="SecureString"
    )
    settings = Settings(env="prod", kv=KvSettings(token_parameter="/lectern/test/kv-token"))
    assert kv_token(settings) == "upstash-secret"

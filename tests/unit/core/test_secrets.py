"""One way to read a secret or take the plain value, and one way to fail: a 503."""

import pytest

from lectern.core import secrets
from lectern.core.secrets import secret_or_value
from lectern.errors import DependencyUnavailable


def _read(kind: str):
    def read(name: str, max_age: int) -> str:
        return f"{kind}:{name}:{max_age}"

    return read


@pytest.fixture(autouse=True)
def _fake_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "resolve_secret", _read("secret"))
    monkeypatch.setattr(secrets, "resolve_parameter", _read("parameter"))


def test_a_secret_wins_over_the_plain_value():
    got = secret_or_value(secret="s", value="v", dependency="db", setting="X", max_age=60)
    assert got == "secret:s:60"


def test_a_parameter_is_read_from_ssm():
    got = secret_or_value(parameter="/p", value=None, dependency="kv", setting="X", max_age=5)
    assert got == "parameter:/p:5"


def test_without_a_secret_the_plain_value_is_taken():
    assert secret_or_value(value="v", dependency="db", setting="X", max_age=60) == "v"


def test_nothing_set_is_unavailable_naming_the_dependency():
    with pytest.raises(DependencyUnavailable) as caught:
        secret_or_value(value=None, dependency="search", setting="LECTERN_X", max_age=60)
    assert caught.value.dependency == "search"
    assert "LECTERN_X" in caught.value.reason


def test_an_unreadable_secret_is_unavailable(monkeypatch: pytest.MonkeyPatch):
    def refuse(name: str, max_age: int) -> str:
        raise RuntimeError("AccessDenied")

    monkeypatch.setattr(secrets, "resolve_secret", refuse)
    with pytest.raises(DependencyUnavailable) as caught:
        secret_or_value(secret="s", value="v", dependency="embeddings", setting="X", max_age=1)
    assert caught.value.dependency == "embeddings"
    assert "RuntimeError" in caught.value.reason

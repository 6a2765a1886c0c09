"""A Python client generated from local/openapi.json by openapi-python-client, used as a
frontend would: register, log in and read the account, over real HTTP against the
all-routes local app (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from local.openapi import SPEC_PATH
from tests.conftest import unique_email

PACKAGE = "lectern_api_client"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("client") / "generated"
    config = out.parent / "config.yaml"
    # No post hooks: they would run ruff from PATH on the generated code.
    config.write_text("post_hooks: []\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(SPEC_PATH),
            "--output-path",
            str(out),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Warnings mean parts of the spec were skipped (as a duplicate schema name once was).
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(out))
    yield out / PACKAGE
    sys.path.remove(str(out))
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_register_login_and_me_through_the_generated_client(client_package: Path, base_url: str):
    client_module = _module("client")
    models = _module("models")
    register = _module("api.auth.auth_register")
    login = _module("api.auth.auth_login")
    me = _module("api.users.users_me")
    email, password = unique_email(), "generated-client-pass"

    with client_module.Client(base_url=base_url, raise_on_unexpected_status=True) as anonymous:
        registered = register.sync(
            client=anonymous, body=models.RegisterIn(email=email, password=password, name="Gen")
        )
        assert isinstance(registered, models.AuthOut)
        assert registered.user.email == email
        credentials = models.LoginIn(email=email, password=password)
        logged_in = login.sync(client=anonymous, body=credentials)
        assert isinstance(logged_in, models.AuthOut)
        token = logged_in.session.token
        assert token != registered.session.token
        # A refusal is a declared response too: parsed, not an unexpected status.
        wrong = models.LoginIn(email=email, password="not-the-password")
        refused = login.sync_detailed(client=anonymous, body=wrong)
        assert refused.status_code == 401
        assert isinstance(refused.parsed, models.Problem)
        assert refused.parsed.status == 401 and refused.parsed.title == "Unauthorized"

    with client_module.AuthenticatedClient(
        base_url=base_url, token=token, raise_on_unexpected_status=True
    ) as signed_in:
        account = me.sync(client=signed_in)
    assert isinstance(account, models.MeOut)
    assert account.email == email and account.name == "Gen"
    assert str(account.id) == str(registered.user.id)


def test_magic_link_answers_a_typed_model(client_package: Path, base_url: str):
    # Its model once shared the name AcceptedOut with analytics' and was dropped.
    client_module = _module("client")
    models = _module("models")
    magic_link = _module("api.auth.auth_magic_link")
    assert "MailAcceptedOut" in (client_package / "api/auth/auth_magic_link.py").read_text()
    with client_module.Client(base_url=base_url, raise_on_unexpected_status=True) as anonymous:
        answer = magic_link.sync(client=anonymous, body=models.MagicLinkIn(email=unique_email()))
    assert isinstance(answer, models.MailAcceptedOut)
    assert answer.status == "accepted"

"""The metrics the alarms and dashboard read are emitted where they happen: a request
that finds the KV store down answers 503 and publishes ``KvUnavailable``; a scheduled
run publishes ``UpkeepRunCompleted``."""

from __future__ import annotations

import json

from tests.e2e.conftest import invoke
from tests.factories import new_account


def _emf_names(output: str) -> set[str]:
    names = set()
    for line in output.splitlines():
        if '"_aws"' in line:
            record = json.loads(line)
            for directive in record["_aws"]["CloudWatchMetrics"]:
                names |= {m["Name"] for m in directive["Metrics"]}
    return names


def test_a_kv_outage_is_a_503_and_counted(settings_env, capsys):
    from tests.conftest import reset_clients

    account = new_account("student")
    settings_env.setenv("LECTERN_KV_URL", "http://127.0.0.1:9")
    reset_clients()
    capsys.readouterr()
    reply = invoke("users", "GET", "/v1/me", token=account.token)
    assert reply.status == 503 and reply.body["dependency"] == "kv"
    assert "KvUnavailable" in _emf_names(capsys.readouterr().out)


def test_a_scheduled_run_publishes_its_completion(capsys):
    from local.events import LambdaContext
    from local.functions import load_module

    capsys.readouterr()
    load_module("aggregate", "handler.py").handler({"tasks": ["shares"]}, LambdaContext())
    assert "UpkeepRunCompleted" in _emf_names(capsys.readouterr().out)

"""The collector is paused while a function loads on Lambda, and frozen-then-resumed by
its first request; elsewhere nothing changes. Each case is a fresh interpreter, as a
Lambda container is."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from local.functions import ROOT

CHILD = """
import gc, json, sys
sys.path[:0] = [{shared!r}, {root!r}]
from local.functions import load_module
from local.events import LambdaContext, http_event
handler = load_module("health").handler
loaded = {{"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}}
# A route no function has: the app alone answers it, with no outside service.
reply = handler(http_event("GET", "/v1/no-such-route"), LambdaContext())
after = {{"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}}
handler(http_event("GET", "/v1/no-such-route"), LambdaContext())
again = {{"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}}
print(json.dumps({{"status": reply["statusCode"], "loaded": loaded, "after": after,
    "again": again}}))
"""


def _run(on_lambda: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
    env.update(LECTERN_ENV="test", POWERTOOLS_LOG_LEVEL="ERROR")
    if on_lambda:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "lectern-test"
    code = CHILD.format(shared=str(ROOT / "shared"), root=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_on_lambda_the_load_runs_paused_and_the_first_request_freezes_it():
    got = _run(on_lambda=True)
    assert got["status"] == 404
    assert got["loaded"] == {"enabled": False, "frozen": 0}
    after = got["after"]
    assert after["enabled"] is True
    assert after["frozen"] > 50_000  # what the load made, out of later collections' way
    assert got["again"] == after  # once: the next request freezes nothing more


def test_elsewhere_the_collector_is_left_alone():
    got = _run(on_lambda=False)
    assert got["loaded"] == {"enabled": True, "frozen": 0}
    assert got["after"] == got["again"] == {"enabled": True, "frozen": 0}

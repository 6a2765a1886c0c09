"""Cold start per function beside one app holding every route (the monolith baseline).

Each run is a fresh interpreter that imports one function's module (as Lambda's init
phase does) and answers its first API Gateway event; the monolith runs answer the same
event from an app that mounts every router. The embedded stack is started once, so the
first invocation includes real connections to Postgres, the KV store and moto.

    .venv/bin/python bench/cold_start.py [--runs 7]
    .venv/bin/python bench/cold_start.py --deployed [--build-dir DIR] [--runs 7]
    .venv/bin/python bench/cold_start.py --deployed --only forums --only study

Each run of a function is followed by a run of the monolith on the same request, so
the ratio holds while the machine's speed drifts. Children run with
AWS_LAMBDA_FUNCTION_NAME set, as on Lambda, so they load with the collector paused
(``lectern.startup``), the monolith too.

Prints, per function, the median import, first-invocation and total milliseconds, peak
RSS, and total's ratio to the monolith answering the same request (< 1 is faster).

The default runs in the dev layout (.venv, whose packages pip compiled). --deployed
runs what `sam build` ships, as Lambda runs it: `sam build` for this machine's
architecture into a scratch directory (or into DIR, kept; a build there is reused),
then each function in a fresh `python3.12 -S` with sys.path = the function's folder,
the layers' python/ and a boto3 standing in for the runtime's, on a read-only copy with
PYTHONDONTWRITEBYTECODE=1.
Its monolith is the same build's functions mounted in one app.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

# What both children (dev and deployed layout) define first and print last.
PEAK_RSS = r"""
def peak_rss_mb():
    # VmHWM is this process's own peak; ru_maxrss would carry the forking parent's
    # peak across exec on Linux.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
"""
HEAVY = (
    "boto3",
    "botocore.session",
    "email_validator",
    "redis",
    "moto",
    "uvicorn",
    "pypdf",
    "httpx",
)
REPORT = f"""
heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "invoke_ms": (t2 - t1) * 1e3,
    "status": reply["statusCode"], "rss_mb": peak_rss_mb(), "heavy": heavy}}))
"""

CHILD = r"""
import json, sys, time
sys.path[:0] = [{shared!r}, {root!r}]
{peak_rss}t0 = time.perf_counter()
import lectern.startup  # as every function module does first
from local.functions import http_function_names, load_module
target = {target!r}
if target == "monolith":
    from lectern.api.app import create_app, lambda_handler
    routers = [load_module(n).router for n in http_function_names()]
    handler = lambda_handler(create_app(*routers))
else:
    handler = load_module(target).handler
t1 = time.perf_counter()
from local.events import LambdaContext, http_event
reply = handler(http_event(**{event!r}), LambdaContext())
t2 = time.perf_counter()
{report}"""


MISSING_ID = "00000000-0000-4000-8000-000000000000"


def requests_for(token: str) -> dict[str, dict[str, Any]]:
    """A representative first request per function, with the status it must get."""
    return {
        "auth": {
            "event": {
                "method": "POST",
                "path": "/v1/auth/login",
                "body": {"email": "nobody@example.com", "password": "not the password"},
            },
            "status": 401,
        },
        "users": {"event": {"method": "GET", "path": "/v1/me", "token": token}, "status": 200},
        "health": {"event": {"method": "GET", "path": "/v1/health"}, "status": 200},
        "courses": {
            "event": {"method": "GET", "path": "/v1/courses", "token": token},
            "status": 200,
        },
        "progress": {
            "event": {"method": "GET", "path": "/v1/me/stats", "token": token},
            "status": 200,
        },
        "assessments": {
            "event": {"method": "GET", "path": "/v1/me/performance", "token": token},
            "status": 200,
        },
        "analytics": {
            "event": {
                "method": "POST",
                "path": "/v1/events",
                "token": token,
                "body": {
                    "events": [
                        {"type": "lesson_viewed", "occurred_at": datetime.now(UTC).isoformat()}
                    ]
                },
            },
            "status": 202,
        },
        "sharing": {
            "event": {"method": "GET", "path": "/v1/me/shares", "token": token},
            "status": 200,
        },
        "documents": {
            "event": {"method": "GET", "path": "/v1/me/documents", "token": token},
            "status": 200,
        },
        # Embeds the query (the local embedder here) and walks the model's HNSW index.
        "ai": {
            "event": {
                "method": "POST",
                "path": "/v1/search/semantic",
                "token": token,
                "body": {"query": "how do cells divide"},
            },
            "status": 200,
        },
        "search": {
            "event": {"method": "GET", "path": "/v1/search", "query": "q=cells", "token": token},
            "status": 200,
        },
        # A learner is refused the audit log (after the session lookup).
        "audit": {
            "event": {"method": "GET", "path": "/v1/admin/audit", "token": token},
            "status": 403,
        },
        "badges": {
            "event": {"method": "GET", "path": "/v1/me/badges", "token": token},
            "status": 200,
        },
        "billing": {
            "event": {"method": "GET", "path": "/v1/me/subscription", "token": token},
            "status": 200,
        },
        "challenges": {
            "event": {"method": "GET", "path": "/v1/challenges", "token": token},
            "status": 200,
        },
        "forums": {
            "event": {"method": "GET", "path": f"/v1/threads/{MISSING_ID}", "token": token},
            "status": 404,
        },
        "meetings": {
            "event": {"method": "GET", "path": "/v1/me/meeting-requests", "token": token},
            "status": 200,
        },
        "notifications": {
            "event": {"method": "GET", "path": "/v1/me/notifications", "token": token},
            "status": 200,
        },
        "study": {
            "event": {"method": "GET", "path": "/v1/study/stats", "token": token},
            "status": 200,
        },
        "teams": {
            "event": {"method": "GET", "path": "/v1/me/teams", "token": token},
            "status": 200,
        },
    }


def run_child(target: str, event: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    code = CHILD.format(
        shared=str(ROOT / "shared"),
        root=str(ROOT),
        target=target,
        event=event,
        peak_rss=PEAK_RSS,
        report=REPORT,
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "AWS_LAMBDA_FUNCTION_NAME": "lectern-bench"},  # as Lambda sets it
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


Runner = Callable[[str, dict[str, Any], dict[str, str]], dict[str, Any]]


def summarize(target: str, samples: list[dict[str, Any]], expected: int) -> dict[str, Any]:
    statuses = {s["status"] for s in samples}
    if statuses != {expected}:
        raise SystemExit(f"{target}: expected HTTP {expected}, got {statuses}")
    med = {
        k: statistics.median(s[k] for s in samples) for k in ("import_ms", "invoke_ms", "rss_mb")
    }
    med["total_ms"] = statistics.median(s["import_ms"] + s["invoke_ms"] for s in samples)
    med["heavy"] = samples[-1]["heavy"]
    return med


def measure_pair(
    target: str,
    event: dict[str, Any],
    expected: int,
    env: dict[str, str],
    runs: int,
    *,
    runner: Runner = run_child,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The function and the monolith, run by turns so that a drift of the machine's speed
    weighs on both sides of the ratio alike."""
    fn: list[dict[str, Any]] = []
    mono: list[dict[str, Any]] = []
    for _ in range(runs):
        fn.append(runner(target, event, env))
        mono.append(runner("monolith", event, env))
    return summarize(target, fn, expected), summarize("monolith", mono, expected)


# ---------------------------------------------------------------------------- deployed layout

DEPLOYED_CHILD = r"""
import json, sys, time
sys.path[:0] = {paths!r}
{peak_rss}class LambdaContext:
    function_name = "lectern-bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:lectern-bench"
    log_group_name = "/aws/lambda/lectern-bench"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 15_000
event = json.loads(sys.stdin.read())
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
reply = app.handler(event, LambdaContext())
t2 = time.perf_counter()
{report}"""

MONOLITH_APP = """\"\"\"Every HTTP function's router in one app: the bench's all-routes baseline.\"\"\"
import lectern.startup  # as every function module does first
from lectern.api.app import create_app, lambda_handler
{imports}
handler = lambda_handler(create_app({routers}))
"""


def set_writable(root: Path, *, writable: bool) -> None:
    """chmod -R a-w (or u+w back, so the scratch directory can be removed)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | 0o200 if writable else mode & ~0o222)


def logical_id(name: str) -> str:
    return "".join(part.title() for part in name.split("_")) + "Function"


class Deployed:
    """A read-only copy of a `sam build`, with a monolith and a runtime boto3 beside it."""

    def __init__(self, build_dir: Path | None, scratch: Path, names: list[str]) -> None:
        from local.sam import build, lambda_python

        self.python = lambda_python()
        if build_dir is None or not (build_dir / "SharedLayer").is_dir():
            print("sam build (this machine's architecture) ...", file=sys.stderr)
            build_dir = build(scratch / "sam", build_dir=build_dir)
        self.root = scratch / "ro"
        shutil.copytree(build_dir, self.root, symlinks=True)
        self._add_monolith(names)
        self._add_runtime_boto3(scratch)
        set_writable(self.root, writable=False)
        self.layers = [str(self.root / layer / "python") for layer in ("DepsLayer", "SharedLayer")]

    def _compile(self, path: Path) -> None:
        subprocess.run(
            [
                str(self.python),
                "-m",
                "compileall",
                "-q",
                "--invalidation-mode",
                "unchecked-hash",
                str(path),
            ],
            check=True,
        )

    def _add_monolith(self, names: list[str]) -> None:
        # Each function's module under its own name, with its own shipped bytecode.
        monolith = self.root / "Monolith"
        (monolith / "__pycache__").mkdir(parents=True)
        for name in names:
            built = self.root / logical_id(name)
            shutil.copy(built / "app.py", monolith / f"{name}_app.py")
            shutil.copy(
                built / "__pycache__" / "app.cpython-312.pyc",
                monolith / "__pycache__" / f"{name}_app.cpython-312.pyc",
            )
        (monolith / "app.py").write_text(
            MONOLITH_APP.format(
                imports="\n".join(f"import {name}_app" for name in names),
                routers=", ".join(f"{name}_app.router" for name in names),
            )
        )
        self._compile(monolith / "app.py")

    def _add_runtime_boto3(self, scratch: Path) -> None:
        # Lambda's runtime provides boto3 (the deps layer does not carry it): the dev pin.
        pin = next(
            line.strip()
            for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
            if line.startswith("boto3==")
        )
        runtime = self.root / "Runtime"
        subprocess.run(
            [
                str(self.python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
                "--target",
                str(runtime),
                pin,
            ],
            check=True,
        )
        self._compile(runtime)

    def sys_path(self, target: str) -> list[str]:
        folder = "Monolith" if target == "monolith" else logical_id(target)
        return [str(self.root / folder), *self.layers, str(self.root / "Runtime")]

    def run(self, target: str, event: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
        from local.events import http_event

        code = DEPLOYED_CHILD.format(paths=self.sys_path(target), peak_rss=PEAK_RSS, report=REPORT)
        child_env = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        child_env["PYTHONDONTWRITEBYTECODE"] = "1"
        child_env["AWS_LAMBDA_FUNCTION_NAME"] = "lectern-bench"  # as Lambda sets it
        out = subprocess.run(
            [str(self.python), "-S", "-c", code],
            input=json.dumps(http_event(**event)),
            env=child_env,
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise SystemExit(f"{target}: exited {out.returncode}\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def cleanup(self) -> None:
        set_writable(self.root, writable=True)


def start_stack() -> tuple[Any, dict[str, str], str]:
    from lectern.db.migrations import upgrade
    from local.stack import LocalStack

    stack = LocalStack(typesense=False)  # this bench does not search
    stack.start()
    env = {
        **os.environ,
        **stack.env,
        "LECTERN_ENV": "test",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_NAMESPACE": "LecternBench",
        # every run fails to sign in as the same account from the same address; do not
        # throttle the bench
        "LECTERN_LOGIN_ATTEMPTS_PER_ACCOUNT": "1000000",
        "LECTERN_LOGIN_ATTEMPTS_PER_IP": "1000000",
        "LECTERN_LOGIN_FAILURES_PER_ACCOUNT_IP": "1000000",
    }
    os.environ.update(env)
    upgrade(stack.env["LECTERN_DATABASE_URL"])
    from lectern.db.engine import get_sessionmaker
    from lectern.identity.schemas import RegisterIn
    from lectern.identity.service import register

    with get_sessionmaker()() as db:
        token = register(
            db, RegisterIn(email="bench@example.com", password="bench password", name="Bench")
        ).session.token
    return stack, env, token


def main() -> None:
    from local.functions import http_function_names

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--deployed", action="store_true", help="run `sam build` output as Lambda runs it"
    )
    parser.add_argument(
        "--build-dir",
        type=Path,
        help="with --deployed: build into DIR and keep it, or reuse the build already there",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="FUNCTION",
        choices=http_function_names(),
        help="measure this function only (repeatable)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lectern-cold-start-") as scratch:
        deployed = (
            Deployed(args.build_dir, Path(scratch), http_function_names())
            if args.deployed
            else None
        )
        runner: Runner = deployed.run if deployed else run_child
        stack, env, token = start_stack()
        try:
            rows = []
            for name, spec in requests_for(token).items():
                if args.only and name not in args.only:
                    continue
                fn, mono = measure_pair(
                    name, spec["event"], spec["status"], env, args.runs, runner=runner
                )
                rows.append((name, fn, mono))
        finally:
            stack.stop()
            if deployed:
                deployed.cleanup()
    layout = "deployed layout (sam build, python3.12 -S, read-only)" if deployed else "dev layout"
    print(f"cold start, {layout}, median of {args.runs} fresh interpreters (ms; RSS in MiB)")
    header = f"{'function':14} {'import':>8} {'invoke':>8} {'total':>8} {'rss':>6} | {'mono imp':>8} {'mono inv':>8} {'monolith':>8} {'ratio':>6}  heavy modules loaded"
    print(header)
    print("-" * len(header))
    for name, fn, mono in rows:
        ratio = fn["total_ms"] / mono["total_ms"]
        print(
            f"{name:14} {fn['import_ms']:8.1f} {fn['invoke_ms']:8.1f} {fn['total_ms']:8.1f} "
            f"{fn['rss_mb']:6.1f} | {mono['import_ms']:8.1f} {mono['invoke_ms']:8.1f} "
            f"{mono['total_ms']:8.1f} {ratio:6.2f}  {','.join(fn['heavy']) or '-'}"
        )
    print(
        "monolith: one app with every router, answering the same request; its modules: "
        + (",".join(rows[0][2]["heavy"]) or "-")
    )


if __name__ == "__main__":
    main()

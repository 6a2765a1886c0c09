"""The whole API's OpenAPI spec, from every function's router mounted in one app.

``python -m local.openapi --write`` refreshes local/openapi.json; a test fails when the
checked-in copy drifts from the code, so frontends can rely on the file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent / "openapi.json"

# Where the API answers: `make dev`, and a deployed stack (the stack's ApiUrl output;
# the HTTP API's $default stage adds no path).
SERVERS: list[dict[str, Any]] = [
    {"url": "http://127.0.0.1:8000", "description": "make dev"},
    {
        "url": "https://{api_id}.execute-api.{region}.amazonaws.com",
        "description": "A deployed stack: its ApiUrl output",
        "variables": {
            "api_id": {"default": "api-id", "description": "The stack's HttpApi id"},
            "region": {"default": "us-east-1", "description": "The stack's region"},
        },
    },
]


def build_spec() -> dict[str, Any]:
    from lectern.api.app import create_app
    from local.devapp import all_routers

    app = create_app(*all_routers(), title="Lectern API")
    return {**app.openapi(), "servers": SERVERS}


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write local/openapi.json")
    args = parser.parse_args()
    text = render(build_spec())
    if args.write:
        SPEC_PATH.write_text(text)
        print(f"wrote {SPEC_PATH.name}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

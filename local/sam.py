"""`sam build` of template.yaml for this machine, as the infrastructure tests and the
deployed-layout bench run it.

The AWS SAM CLI lives in .venv-sam (`make sam`: its pins clash with .venv's) and builds
with the Lambda runtime's Python, python3.12, which must be on PATH or known to pyenv.
The template is built as written except for its architecture: arm64 wheels do not load
on an x86-64 machine, so on one the copy built says x86_64 throughout.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
SAM = ROOT / ".venv-sam" / "bin" / "sam"
LAMBDA_PYTHON = "python3.12"
# The template's own architecture (Globals, layers' Compatible/BuildArchitecture).
TEMPLATE_ARCH = "arm64"
_ARCH_FIELD = re.compile(
    r"^(\s*(?:Architectures|CompatibleArchitectures): )\[arm64\]$|^(\s*BuildArchitecture: )arm64$",
    re.M,
)


def machine_arch() -> str:
    return "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"


@cache
def lambda_python() -> Path:
    """python3.12's real executable (a pyenv shim on PATH is resolved through pyenv; once
    per process, as each resolution starts an interpreter)."""
    command = shutil.which(LAMBDA_PYTHON)
    if command is None:
        raise RuntimeError(f"{LAMBDA_PYTHON} is not on PATH")
    result = subprocess.run(
        [command, "-c", "import sys; print(sys.executable)"],
        env={**os.environ, "PYENV_VERSION": os.environ.get("PYENV_VERSION", "3.12")},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{LAMBDA_PYTHON} does not run: {result.stderr.strip()}")
    return Path(result.stdout.strip())


def sam_env() -> dict[str, str]:
    """The environment for sam: python3.12 first on PATH."""
    path = f"{lambda_python().parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0"}


def require_sam() -> Path:
    if not SAM.is_file():
        raise RuntimeError(f"{SAM.relative_to(ROOT)} is missing: run `make sam`")
    return SAM


def sam(
    args: list[str], *, cwd: Path, env: dict[str, str], timeout: int
) -> subprocess.CompletedProcess[str]:
    """One sam command with python3.12 first on PATH, its output captured."""
    return subprocess.run(
        [str(require_sam()), *args],
        cwd=cwd,
        env={**sam_env(), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def template_for(arch: str) -> str:
    """template.yaml with every architecture set to arch."""
    text = TEMPLATE.read_text(encoding="utf-8")
    if arch == TEMPLATE_ARCH:
        return text
    return _ARCH_FIELD.sub(
        lambda m: f"{m[1]}[{arch}]" if m[1] else f"{m[2]}{arch}",
        text,
    )


def build(scratch: Path, arch: str | None = None, build_dir: Path | None = None) -> Path:
    """`sam build` into build_dir (scratch/build unless given), with no cache and nothing
    written to the repo; returns build_dir."""
    arch = arch or machine_arch()
    scratch.mkdir(parents=True, exist_ok=True)
    template = scratch / "template.yaml"
    template.write_text(template_for(arch), encoding="utf-8")
    build_dir = build_dir or scratch / "build"
    result = sam(
        [
            "build",
            "--template-file",
            str(template),
            "--base-dir",
            str(ROOT),
            "--build-dir",
            str(build_dir),
            "--parallel",
        ],
        cwd=scratch,
        env={"LAMBDA_ARCH": arch},
        timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"sam build exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return build_dir


_TRANSLATE = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:  # the template's policies are all inline
    def load(self):
        return {}

template = yaml_parse(sys.stdin.read())
for resource in template["Resources"].values():  # as after `sam package`
    for key in ("CodeUri", "ContentUri"):
        if isinstance(resource.get("Properties", {}).get(key), str):
            resource["Properties"][key] = "s3://bucket/key"
print(json.dumps(transform(template, {}, NoManagedPolicies())))
"""


def translated() -> dict[str, Any]:
    """template.yaml as CloudFormation: the SAM transform, offline (.venv-sam's translator)."""
    result = subprocess.run(
        [str(require_sam().parent / "python"), "-c", _TRANSLATE],
        input=TEMPLATE.read_text(encoding="utf-8"),
        env={**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the SAM transform failed:\n{result.stderr}")
    data = json.loads(result.stdout)
    if not isinstance(data, dict):
        raise RuntimeError("the SAM transform returned no template")
    return data


def validate_lint() -> subprocess.CompletedProcess[str]:
    """`sam validate --lint` (cfn-lint over the template, offline)."""
    return sam(
        ["validate", "--lint", "--template-file", str(TEMPLATE)],
        cwd=ROOT,
        env={"AWS_DEFAULT_REGION": "eu-west-1"},
        timeout=600,
    )

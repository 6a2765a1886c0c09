"""The stack as the AWS SAM CLI sees it (.venv-sam, `make sam`): it validates, it
translates to a template two stacks of which fit in one account and region, and
`sam build` ships bytecode that Lambda's Python 3.12 actually uses.

The build is for this machine's architecture (local/sam.py); the Makefile recipes are
the same for arm64, only the wheels' platform differs.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from local.sam import build, lambda_python, translated, validate_lint

# Resource types whose name must be unique in an account and region, and the property
# holding it. Any other type in the translated template must be listed as name-free.
PHYSICAL_NAME = {
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Events::Rule": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::Lambda::Function": "FunctionName",
    # Not unique as such, but two stacks would publish versions of one layer.
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Scheduler::ScheduleGroup": "Name",
}
# An API's Name need not be unique; a stage is named within its API, an alias within
# its function.
NAME_FREE = {
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Version",
    "AWS::SQS::QueuePolicy",
}
STACK_SCOPED = ("${AWS::StackName}", "${AWS::StackId}")


# ---------------------------------------------------------------------------- the template


def test_sam_validate_lint_passes() -> None:
    result = validate_lint()
    assert result.returncode == 0, f"sam validate --lint:\n{result.stdout}{result.stderr}"


def fixed_names(cfn: dict[str, Any]) -> list[str]:
    """Resources whose physical name is neither generated nor scoped to the stack."""
    problems: list[str] = []
    for logical_id, resource in cfn["Resources"].items():
        kind = resource["Type"]
        if kind in NAME_FREE:
            continue
        if kind not in PHYSICAL_NAME:
            problems.append(f"{logical_id}: {kind} is in neither PHYSICAL_NAME nor NAME_FREE")
            continue
        name = (resource.get("Properties") or {}).get(PHYSICAL_NAME[kind])
        if name is None:
            continue  # CloudFormation generates a unique one
        text = name.get("Fn::Sub") if isinstance(name, dict) else None
        text = text[0] if isinstance(text, list) else text
        if not (isinstance(text, str) and any(scope in text for scope in STACK_SCOPED)):
            problems.append(f"{logical_id}: {kind} named {json.dumps(name)}")
    return problems


def test_two_stacks_of_the_template_can_coexist() -> None:
    """Every unique name in the deployed template is generated or carries the stack name."""
    assert not fixed_names(translated())


def test_a_fixed_name_is_found() -> None:
    cfn = {
        "Resources": {
            "Scoped": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-q"}},
            },
            "Generated": {"Type": "AWS::Scheduler::Schedule", "Properties": {}},
            "Fixed": {"Type": "AWS::Scheduler::Schedule", "Properties": {"Name": "Hourly"}},
            "Unknown": {"Type": "AWS::Kinesis::Stream", "Properties": {}},
        }
    }
    assert [problem.split(":")[0] for problem in fixed_names(cfn)] == ["Fixed", "Unknown"]


# ---------------------------------------------------------------------------- the build

# Run by python3.12: the magic number and the source hash's key are the interpreter's.
CHECK_BYTECODE = r"""
import importlib.util, json, sys
from pathlib import Path

root = Path(sys.argv[1])
report = {"sources": 0, "problems": []}
for source in sorted(root.rglob("*.py")):
    report["sources"] += 1
    pyc = Path(importlib.util.cache_from_source(str(source)))
    where = str(source.relative_to(root))
    if not pyc.is_file():
        report["problems"].append(f"{where}: no {pyc.name}")
        continue
    header = pyc.read_bytes()[:16]
    flags = int.from_bytes(header[4:8], "little")
    if header[:4] != importlib.util.MAGIC_NUMBER:
        report["problems"].append(f"{where}: not this Python's magic number")
    elif flags != 0b01:  # hash-based, source never checked (--invalidation-mode unchecked-hash)
        report["problems"].append(f"{where}: flags {flags:#b}, not unchecked-hash")
    elif header[8:16] != importlib.util.source_hash(source.read_bytes()):
        report["problems"].append(f"{where}: compiled from another source")
print(json.dumps(report))
"""


def bytecode_report(root: Path) -> dict[str, Any]:
    """CHECK_BYTECODE's findings over root's sources, as python3.12 sees them."""
    result = subprocess.run(
        [str(lambda_python()), "-c", CHECK_BYTECODE, str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("sam"))


def test_sam_build_builds_every_function_and_layer(build_dir: Path) -> None:
    from tests.infrastructure.test_template import SERVERLESS_LAYER, functions, resources_of

    expected = set(functions()) | set(resources_of(SERVERLESS_LAYER))
    assert {p.name for p in build_dir.iterdir() if p.is_dir()} == expected
    for layer in resources_of(SERVERLESS_LAYER):
        assert (build_dir / layer / "python").is_dir(), f"{layer}: nothing at /opt/python"
    assert (build_dir / "SharedLayer" / "python" / "lectern" / "__init__.py").is_file()
    assert (build_dir / "MigrateFunction" / "migrations" / "env.py").is_file()


def test_every_built_source_has_valid_unchecked_hash_bytecode(build_dir: Path) -> None:
    problems: dict[str, list[str]] = {}
    for artifact in sorted(p for p in build_dir.iterdir() if p.is_dir()):
        report = bytecode_report(artifact)
        assert report["sources"], f"{artifact.name}: no .py files"
        if report["problems"]:
            problems[artifact.name] = report["problems"][:5]
    assert not problems, problems


def test_the_bytecode_check_sees_a_changed_source(build_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "app.py"
    source.write_bytes((build_dir / "HealthFunction" / "app.py").read_bytes())
    cache_dir = tmp_path / "__pycache__"
    cache_dir.mkdir()
    for pyc in (build_dir / "HealthFunction" / "__pycache__").iterdir():
        (cache_dir / pyc.name).write_bytes(pyc.read_bytes())
    source.write_text(source.read_text() + "\n# edited\n")
    assert bytecode_report(tmp_path)["problems"] == ["app.py: compiled from another source"]

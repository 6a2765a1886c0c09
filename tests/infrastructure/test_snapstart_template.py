"""SnapStart in the template: which stacks get it, and that requests reach the snapshot.

SnapStart applies to published versions only, so every function is published behind
an alias (which SAM points each event at) and its SnapStart setting follows the
``UsesSnapStart`` condition, evaluated here for each Stage and SnapStart value.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.test_template import function_globals, functions, template


def evaluate(condition: Any, parameters: dict[str, str]) -> Any:
    """A CloudFormation condition (the intrinsics conditions use) under these values."""
    if not isinstance(condition, dict):
        return condition
    ((name, argument),) = condition.items()
    if name == "Ref":
        return parameters[argument]
    if name == "Condition":
        return evaluate(template()["Conditions"][argument], parameters)
    values = [evaluate(item, parameters) for item in argument]
    combine = {
        "Fn::Equals": lambda: values[0] == values[1],
        "Fn::And": lambda: all(values),
        "Fn::Or": lambda: any(values),
        "Fn::Not": lambda: not values[0],
    }
    assert name in combine, f"unexpected intrinsic in a condition: {name}"
    return combine[name]()


def snapstart_on(stage: str, snapstart: str | None = None) -> bool:
    parameter = template()["Parameters"]["SnapStart"]
    values = {"Stage": stage, "SnapStart": snapstart or parameter["Default"]}
    return bool(evaluate(template()["Conditions"]["UsesSnapStart"], values))


def test_snapstart_is_on_in_prod_and_off_in_dev_by_default() -> None:
    assert snapstart_on("prod")
    assert not snapstart_on("dev")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_snapstart_parameter_overrides_the_stage(stage: str) -> None:
    assert set(template()["Parameters"]["SnapStart"]["AllowedValues"]) == {"stage", "on", "off"}
    assert snapstart_on(stage, "on")
    assert not snapstart_on(stage, "off")


def test_every_function_is_published_behind_an_alias_with_the_snapstart_setting() -> None:
    assert function_globals()["AutoPublishAlias"] == "live"
    assert function_globals()["SnapStart"] == {
        "ApplyOn": {"Fn::If": ["UsesSnapStart", "PublishedVersions", "None"]}
    }
    for logical_id, function in functions().items():
        own = function["Properties"]
        assert "AutoPublishAlias" not in own and "SnapStart" not in own, (
            f"{logical_id} sets its own alias or SnapStart: its events would miss the snapshot"
        )

"""Alarms and the dashboard: every alarm notifies the one topic, every function has an
errors and a throttles alarm, and every custom metric the template reads is one the code
emits (names read from the code: literal ``count(...)``/``add_metric(name=...)`` calls,
and the ones built at run time, by running what records them)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.infrastructure.test_template import (
    ROOT,
    functions,
    resources_of,
    sub_parts,
)

NAMESPACE = "Lectern"
LITERAL_METRIC = re.compile(r"""(?:\bcount\(\s*|add_metric\(\s*name=)"([A-Z][A-Za-z0-9]+)\"""")


def emitted_metric_names() -> set[str]:
    names: set[str] = set()
    for folder in ("shared/lectern", "functions"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text()
            if "metric" not in source.lower() and "count(" not in source:
                continue
            names |= set(LITERAL_METRIC.findall(source))
    # Chosen or built at run time: the dependency table, and a recorded backlog.
    from lectern.observability import UNAVAILABLE_METRICS, get_metrics
    from lectern.search.sync import _record_backlog

    metrics = get_metrics()
    metrics.clear_metrics()
    _record_backlog({})
    names |= set(metrics.metric_set)
    metrics.clear_metrics()
    names |= {*UNAVAILABLE_METRICS.values(), "DependencyUnavailable"}
    return names


def _custom_metrics_in_alarms() -> set[str]:
    found = set()
    for alarm in resources_of("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("Namespace") == NAMESPACE:
            found.add(props["MetricName"])
        for query in props.get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric", {})
            if metric.get("Namespace") == NAMESPACE:
                found.add(metric["MetricName"])
    return found


def _dashboard_body() -> dict[str, Any]:
    [dashboard] = resources_of("AWS::CloudWatch::Dashboard").values()
    body, _ = sub_parts(dashboard["Properties"]["DashboardBody"]["Fn::Sub"])
    return json.loads(body)


def _custom_metrics_in_dashboard() -> set[str]:
    found = set()
    for widget in _dashboard_body()["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            if metric and metric[0] == NAMESPACE:
                found.add(metric[1])
            for item in metric:
                if isinstance(item, dict) and "expression" in item:
                    found |= set(re.findall(r'MetricName="(\w+)"', item["expression"]))
    return found


def test_the_template_reads_only_metrics_the_code_emits():
    emitted = emitted_metric_names()
    used = _custom_metrics_in_alarms() | _custom_metrics_in_dashboard()
    assert {"BackupVerifyFailed", "UpkeepRunCompleted", "SearchOutboxOldestSeconds"} <= used
    assert used <= emitted, sorted(used - emitted)


def test_the_scan_would_catch_a_name_the_code_does_not_emit():
    assert "BackupVerifySucceeded" not in emitted_metric_names()


def test_every_alarm_notifies_the_topic():
    for name, alarm in resources_of("AWS::CloudWatch::Alarm").items():
        assert {"Ref": "AlarmTopicArn"} in alarm["Properties"]["AlarmActions"], name


def test_every_function_has_an_errors_and_a_throttles_alarm():
    watched: dict[str, set[str]] = {}
    for alarm in resources_of("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("Namespace") == "AWS/Lambda":
            [dimension] = props["Dimensions"]
            watched.setdefault(dimension["Value"]["Ref"], set()).add(props["MetricName"])
    for function in functions():
        assert watched.get(function) == {"Errors", "Throttles"}, function


def test_the_dashboard_shows_what_the_issue_asks_for():
    titles = " | ".join(w["properties"]["title"] for w in _dashboard_body()["widgets"]).lower()
    for part in (
        "requests",
        "4xx",
        "5xx",
        "p50",
        "p95",
        "cold start",
        "database",
        "kv",
        "outbox",
        "ai spend",
    ):
        assert part in titles, part


def test_the_scan_reads_real_files():
    assert Path(ROOT / "shared/lectern/backup/upkeep.py").exists()

"""The SAM stack itself: template.yaml and samconfig.toml, checked offline.

cfn-lint validates the template against the CloudFormation and SAM schemas, but it
does not look inside policy documents or event properties, nor at the code. These tests
do: every function's handler imports, the HttpApi routes are exactly the routes the
routers declare (served by the function that declares them), every function runs with
both layers, references resolve, policies stay least-privilege, and samconfig.toml's
overrides fit the template's parameters.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import yaml

from local.functions import FUNCTIONS_DIR, ROOT, http_function_names, load_module

TEMPLATE = ROOT / "template.yaml"
SAMCONFIG = ROOT / "samconfig.toml"

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_LAYER = "AWS::Serverless::LayerVersion"
SERVERLESS_HTTP_API = "AWS::Serverless::HttpApi"
LOG_GROUP = "AWS::Logs::LogGroup"

# The layers every function runs with: their ContentUri and a file that must be there.
LAYER_CONTENT = {
    "layers/deps/": "requirements.txt",
    "shared/": "lectern/__init__.py",
}
# API Gateway gives up on an integration after 30 s: an HTTP function must finish first.
API_GATEWAY_TIMEOUT_SECONDS = 30
NOT_ROUTED_METHODS = {"HEAD", "OPTIONS"}
PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NoValue",
    "AWS::NotificationARNs",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}
SAMCONFIG_ENVIRONMENTS = {"dev": "lectern-dev", "prod": "lectern-prod"}
# ${Name} or ${Resource.Attribute} in an Fn::Sub text (${!Literal} is not a reference).
SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


# ---------------------------------------------------------------------------- loading


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short tags (!Ref, !Sub ...) as their long form."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_tag)


@cache
def template() -> dict[str, Any]:
    loader = _CfnLoader(TEMPLATE.read_text(encoding="utf-8"))
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    assert isinstance(data, dict), "template.yaml is not a mapping"
    return data


@cache
def samconfig() -> dict[str, Any]:
    return tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))


def resources_of(resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template()["Resources"].items()
        if resource["Type"] == resource_type
    }


def functions() -> dict[str, dict[str, Any]]:
    return resources_of(SERVERLESS_FUNCTION)


def function_globals() -> dict[str, Any]:
    return template().get("Globals", {}).get("Function", {})


def effective(logical_id: str, key: str) -> Any:
    """A function property as deployed: its own value, else the one from Globals."""
    properties = functions()[logical_id]["Properties"]
    return properties.get(key, function_globals().get(key))


def effective_layers(logical_id: str) -> list[Any]:
    # SAM merges lists: the Globals entries come first, then the function's own.
    own = functions()[logical_id]["Properties"].get("Layers", [])
    return [*function_globals().get("Layers", []), *own]


def effective_environment(logical_id: str) -> dict[str, Any]:
    own = functions()[logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    shared = function_globals().get("Environment", {}).get("Variables", {})
    return {**shared, **own}


def build_method(resource: dict[str, Any]) -> str | None:
    return resource.get("Metadata", {}).get("BuildMethod")


def folder_of(logical_id: str) -> str:
    """functions/<folder>/ for a function's logical id: SearchSyncFunction -> search_sync."""
    stem = logical_id.removesuffix("Function")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", stem).lower()


def normalized_uri(uri: str) -> str:
    return uri if uri == "." else uri.rstrip("/") + "/"


def http_events(logical_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    events = functions()[logical_id]["Properties"].get("Events") or {}
    for name, event in events.items():
        if event.get("Type") == "HttpApi":
            yield name, event.get("Properties", {})


def http_function_ids() -> list[str]:
    return sorted(logical_id for logical_id in functions() if any(http_events(logical_id)))


def walk(node: Any) -> Iterator[Any]:
    """Every mapping and list nested in node, node included."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def sub_parts(value: Any) -> tuple[str, dict[str, Any]]:
    """An Fn::Sub's text and its local variables."""
    return (value, {}) if isinstance(value, str) else (value[0], value[1])


def refs_in(node: Any) -> set[str]:
    """The names node refers to: by Ref, or as a ${Name} in an Fn::Sub text."""
    found: set[str] = set()
    for item in walk(node):
        if isinstance(item, dict) and "Ref" in item:
            found.add(item["Ref"])
        if isinstance(item, dict) and "Fn::Sub" in item:
            text, local = sub_parts(item["Fn::Sub"])
            found |= {v.split(".", 1)[0] for v in SUB_VARIABLE.findall(text)} - set(local)
    return found


def policy_statements(logical_id: str) -> Iterator[dict[str, Any]]:
    """The function's inline policy statements, both branches of any Fn::If included."""
    for policy in functions()[logical_id]["Properties"].get("Policies", []):
        if not isinstance(policy, dict) or "Statement" not in policy:
            continue
        statements = policy["Statement"]
        pending = list(statements) if isinstance(statements, list) else [statements]
        while pending:
            statement = pending.pop()
            if isinstance(statement, dict) and "Fn::If" in statement:
                pending.extend(statement["Fn::If"][1:])
            elif isinstance(statement, dict) and statement != {"Ref": "AWS::NoValue"}:
                yield statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed_resources(logical_id: str, action: str) -> set[str]:
    """The parameters referenced as Resource by statements that allow action."""
    found: set[str] = set()
    for statement in policy_statements(logical_id):
        if statement.get("Effect") == "Allow" and action in as_list(statement.get("Action")):
            found |= refs_in(statement.get("Resource"))
    return found


# ---------------------------------------------------------------------------- the template


def test_cfn_lint_passes_offline() -> None:
    """The same check as `cfn-lint template.yaml` (no AWS credentials, no network)."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from cfnlint.runner import main; sys.exit(main())",
            str(TEMPLATE),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (
        f"cfn-lint exited {result.returncode}:\n{result.stdout}{result.stderr}"
    )


def test_template_is_a_sam_template_with_the_expected_outputs() -> None:
    assert template()["Transform"] == "AWS::Serverless-2016-10-31"
    assert {"ApiUrl", "MigrateFunctionName"} <= set(template().get("Outputs", {}))
    assert len(resources_of(SERVERLESS_HTTP_API)) == 1, "one HTTP API carries every route"


def test_every_reference_resolves() -> None:
    """cfn-lint skips policy documents and event properties; a typo there fails at deploy."""
    tpl = template()
    names = set(tpl.get("Parameters", {})) | set(tpl["Resources"]) | PSEUDO_PARAMETERS
    problems: list[str] = []
    for item in walk({k: v for k, v in tpl.items() if k != "Parameters"}):
        if not isinstance(item, dict):
            continue
        if "Ref" in item and item["Ref"] not in names:
            problems.append(f"Ref {item['Ref']}")
        if "Fn::GetAtt" in item and item["Fn::GetAtt"][0] not in tpl["Resources"]:
            problems.append(f"GetAtt {item['Fn::GetAtt']}")
        if "Fn::FindInMap" in item and item["Fn::FindInMap"][0] not in tpl.get("Mappings", {}):
            problems.append(f"FindInMap {item['Fn::FindInMap'][0]}")
        if "Fn::If" in item and item["Fn::If"][0] not in tpl.get("Conditions", {}):
            problems.append(f"If {item['Fn::If'][0]}")
        if "Fn::Sub" in item:
            text, local = sub_parts(item["Fn::Sub"])
            for variable in SUB_VARIABLE.findall(text):
                if variable.split(".", 1)[0] not in names | set(local):
                    problems.append(f"Sub ${{{variable}}}")
    assert not problems, f"unresolved references: {problems}"


# ---------------------------------------------------------------------------- functions


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_function_code_follows_the_layout(logical_id: str) -> None:
    properties = functions()[logical_id]["Properties"]
    folder = FUNCTIONS_DIR / folder_of(logical_id)
    assert folder.is_dir(), f"{logical_id}: no folder {folder.relative_to(ROOT)}"
    # Only the function's folder: the build cache hashes the whole CodeUri.
    expected = f"functions/{folder_of(logical_id)}/"
    assert normalized_uri(properties["CodeUri"]) == expected, f"{logical_id}: CodeUri"


MAKE_TARGET = re.compile(r"^(build-[A-Za-z0-9%]+):", re.M)


def makefile_build_targets() -> set[str]:
    return set(MAKE_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "logical_id", sorted(resources_of(SERVERLESS_FUNCTION) | resources_of(SERVERLESS_LAYER))
)
def test_every_function_and_layer_is_built_by_the_makefile(logical_id: str) -> None:
    """The Makefile's build-<LogicalId> (or build-%Function) target adds the bytecode."""
    resource = template()["Resources"][logical_id]
    assert build_method(resource) == "makefile", f"{logical_id}: BuildMethod"
    assert resource["Metadata"].get("ContextPath") == ".", f"{logical_id}: the root Makefile"
    targets = makefile_build_targets()
    pattern = logical_id.endswith("Function") and "build-%Function" in targets
    assert f"build-{logical_id}" in targets or pattern, f"no Makefile target for {logical_id}"


def test_the_makefile_builds_for_the_template_architecture() -> None:
    from local.sam import TEMPLATE_ARCH

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^LAMBDA_ARCH \?= {TEMPLATE_ARCH}$", makefile, re.M)
    assert function_globals()["Architectures"] == [TEMPLATE_ARCH]


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_function_handler_is_importable(logical_id: str) -> None:
    module_name, _, attribute = functions()[logical_id]["Properties"]["Handler"].rpartition(".")
    path = FUNCTIONS_DIR / folder_of(logical_id) / f"{module_name}.py"
    assert path.is_file(), f"{logical_id}: handler module {path.relative_to(ROOT)} is missing"
    module = load_module(folder_of(logical_id), path.name)
    assert callable(getattr(module, attribute, None)), f"{logical_id}: {attribute} not callable"


def test_every_http_function_is_deployed() -> None:
    deployed = {
        folder_of(logical_id)
        for logical_id in functions()
        if functions()[logical_id]["Properties"]["Handler"] == "app.handler"
    }
    missing = sorted(set(http_function_names()) - deployed)
    assert not missing, f"functions/<name>/app.py without a function in template.yaml: {missing}"


def test_http_routes_are_exactly_the_routers_routes() -> None:
    code_routes: dict[tuple[str, str], str] = {}
    for name in http_function_names():
        for route in load_module(name).router.routes:
            for method in sorted(set(getattr(route, "methods", None) or ()) - NOT_ROUTED_METHODS):
                key = (method, route.path)
                assert key not in code_routes, f"{key} is in both {code_routes[key]} and {name}"
                code_routes[key] = name
    assert code_routes, "the routers declare no routes"

    template_routes: dict[tuple[str, str], str] = {}
    for logical_id in functions():
        for event_name, event in http_events(logical_id):
            key = (str(event["Method"]).upper(), event["Path"])
            assert key not in template_routes, f"{key} routed twice ({logical_id}.{event_name})"
            template_routes[key] = folder_of(logical_id)

    missing = sorted(code_routes.keys() - template_routes.keys())
    extra = sorted(template_routes.keys() - code_routes.keys())
    misrouted = sorted(
        f"{key} -> {template_routes[key]}, defined in {code_routes[key]}"
        for key in code_routes.keys() & template_routes.keys()
        if code_routes[key] != template_routes[key]
    )
    assert not (missing or extra or misrouted), (
        f"routes not in template.yaml: {missing}\n"
        f"template.yaml routes no router declares: {extra}\n"
        f"routes sent to the wrong function: {misrouted}"
    )


def test_http_events_are_explicit_routes_on_the_api() -> None:
    (api_id,) = resources_of(SERVERLESS_HTTP_API)
    for logical_id in http_function_ids():
        for event_name, event in http_events(logical_id):
            where = f"{logical_id}.{event_name}"
            assert event.get("ApiId") == {"Ref": api_id}, f"{where}: not on {api_id}"
            assert str(event["Method"]).upper() != "ANY", f"{where}: catch-all method"
            assert "+}" not in event["Path"] and event["Path"].startswith("/v1/"), where
            assert event.get("PayloadFormatVersion", "2.0") == "2.0", where


def test_every_function_runs_with_both_layers() -> None:
    layers = resources_of(SERVERLESS_LAYER)
    by_content = {
        normalized_uri(layer["Properties"]["ContentUri"]): logical_id
        for logical_id, layer in layers.items()
    }
    assert set(LAYER_CONTENT) <= set(by_content), f"layers found: {sorted(by_content)}"

    runtime = function_globals()["Runtime"]
    architectures = function_globals()["Architectures"]
    for content, marker in LAYER_CONTENT.items():
        logical_id = by_content[content]
        layer = layers[logical_id]
        assert (ROOT / content / marker).is_file(), f"{content}{marker} is missing"
        # SAM refuses a layer whose build architecture (x86_64 unless given) it may not run on.
        assert layer.get("Metadata", {}).get("BuildArchitecture", "x86_64") in architectures
        assert runtime in layer["Properties"]["CompatibleRuntimes"]
        assert set(architectures) <= set(layer["Properties"]["CompatibleArchitectures"])

    wanted = [{"Ref": by_content[content]} for content in LAYER_CONTENT]
    for logical_id in functions():
        layers_used = effective_layers(logical_id)
        assert all(ref in layers_used for ref in wanted), f"{logical_id}: layers {layers_used}"
        assert effective(logical_id, "Runtime") == runtime, logical_id
        assert effective(logical_id, "Architectures") == architectures, logical_id


@pytest.mark.parametrize("logical_id", http_function_ids())
def test_http_function_finishes_before_api_gateway_gives_up(logical_id: str) -> None:
    assert effective(logical_id, "Timeout") < API_GATEWAY_TIMEOUT_SECONDS


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_statement_timeout_fires_before_the_function_timeout(logical_id: str) -> None:
    timeout_ms = int(effective_environment(logical_id)["LECTERN_DB_STATEMENT_TIMEOUT_MS"])
    assert timeout_ms < int(effective(logical_id, "Timeout")) * 1000


def test_the_ingest_queue_outlasts_the_function_that_fits_two_whole_jobs() -> None:
    """A job starts only with its whole budget left; a batch must fit at least two, and
    the local worker must give the handler the time Lambda would."""
    from lectern.config import IngestSettings
    from lectern.ingest.pipeline import WRITE_MARGIN_SECONDS
    from local.ingest_worker import TIMEOUT_MS

    timeout = int(effective("IngestFunction", "Timeout"))
    environment = effective_environment("IngestFunction")
    job_seconds = float(environment.get("LECTERN_INGEST_JOB_SECONDS", IngestSettings().job_seconds))
    assert timeout >= 2 * (job_seconds + WRITE_MARGIN_SECONDS)
    queue = template()["Resources"]["IngestQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert timeout * 1000 == TIMEOUT_MS


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_function_logs_to_a_group_with_retention(logical_id: str) -> None:
    log_group = (effective(logical_id, "LoggingConfig") or {}).get("LogGroup")
    assert isinstance(log_group, dict) and "Ref" in log_group, f"{logical_id}: no LogGroup"
    resource = template()["Resources"][log_group["Ref"]]
    assert resource["Type"] == LOG_GROUP
    assert "RetentionInDays" in resource["Properties"]


def test_api_access_logs_go_to_a_group_with_retention() -> None:
    (api,) = resources_of(SERVERLESS_HTTP_API).values()
    destination = api["Properties"]["AccessLogSettings"]["DestinationArn"]
    resource = template()["Resources"][destination["Fn::GetAtt"][0]]
    assert resource["Type"] == LOG_GROUP
    assert "RetentionInDays" in resource["Properties"]


# ---------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_policies_are_least_privilege(logical_id: str) -> None:
    for policy in functions()[logical_id]["Properties"].get("Policies", []):
        assert not isinstance(policy, str), (
            f"{logical_id}: managed policy {policy!r}; grant the actions inline, scoped"
        )
    for statement in policy_statements(logical_id):
        sid = statement.get("Sid", statement)
        assert statement.get("Effect") == "Allow", f"{logical_id} {sid}"
        assert "NotAction" not in statement and "NotResource" not in statement, sid
        for action in as_list(statement.get("Action")):
            assert isinstance(action, str), f"{logical_id} {sid}: action {action!r}"
            assert action != "*" and not action.endswith(":*"), f"{logical_id} {sid}: {action}"
        for resource in as_list(statement.get("Resource")):
            assert resource != "*", f"{logical_id} {sid}: Resource '*'"


@pytest.mark.parametrize("logical_id", http_function_ids())
def test_http_function_can_read_its_database_and_kv_credentials(logical_id: str) -> None:
    environment = effective_environment(logical_id)
    database = refs_in(environment["LECTERN_DATABASE_URL_SECRET"])
    kv = refs_in(environment["LECTERN_KV_TOKEN_PARAMETER"])
    assert database <= allowed_resources(logical_id, "secretsmanager:GetSecretValue")
    assert kv <= allowed_resources(logical_id, "ssm:GetParameter")


def test_direct_database_url_reaches_only_the_migrate_function() -> None:
    """The non-pooled endpoint is for migrations; routes go through the pooler."""
    assert "DirectDatabaseUrlSecretArn" not in refs_in(template().get("Globals", {}))
    readers = sorted(
        logical_id
        for logical_id, function in functions().items()
        if "DirectDatabaseUrlSecretArn" in refs_in(function["Properties"])
    )
    assert readers == ["MigrateFunction"]
    assert allowed_resources("MigrateFunction", "secretsmanager:GetSecretValue") - {
        "TypesenseApiKeySecretArn",
        "TypesenseSearchApiKeySecretArn",
    } == {"DirectDatabaseUrlSecretArn"}


def _readers(secret: str) -> set[str]:
    return {
        logical_id
        for logical_id in functions()
        if secret in allowed_resources(logical_id, "secretsmanager:GetSecretValue")
    }


def test_the_typesense_admin_key_reaches_only_the_drain_and_the_migration() -> None:
    """Searches and health checks hold the search-only key; the migration registers it
    with the admin key, which only the drain also needs."""
    assert _readers("TypesenseApiKeySecretArn") == {"SearchSyncFunction", "MigrateFunction"}
    assert _readers("TypesenseSearchApiKeySecretArn") == {
        "SearchFunction",
        "HealthFunction",
        "MigrateFunction",
    }


def test_a_typesense_url_without_both_keys_is_refused() -> None:
    rule = template()["Rules"]["TypesenseHasBothKeys"]
    assert refs_in(rule["RuleCondition"]) == {"TypesenseUrl"}
    assert refs_in(rule["Assertions"]) == {
        "TypesenseApiKeySecretArn",
        "TypesenseSearchApiKeySecretArn",
    }
    assert refs_in(template()["Conditions"]["HasTypesense"]) == {
        "TypesenseUrl",
        "TypesenseApiKeySecretArn",
        "TypesenseSearchApiKeySecretArn",
    }


def test_migrate_function_is_packaged_with_the_migrations() -> None:
    migrate = functions()["MigrateFunction"]
    properties = migrate["Properties"]
    assert not properties.get("Events"), "migrations run on demand, never from the API"
    assert build_method(migrate) == "makefile"
    # Its CodeUri links the migrations, so the build cache sees a changed migration.
    link = FUNCTIONS_DIR / "migrate" / "migrations"
    assert link.is_symlink() and link.resolve() == (ROOT / "migrations").resolve()
    assert properties["Handler"] == "handler.handler"
    assert int(effective("MigrateFunction", "Timeout")) >= 120
    assert refs_in(effective_environment("MigrateFunction")["LECTERN_DATABASE_DIRECT_URL_SECRET"])
    assert template()["Outputs"]["MigrateFunctionName"]["Value"] == {"Ref": "MigrateFunction"}
    assert (ROOT / "migrations" / "env.py").is_file()
    assert (ROOT / "migrations" / "versions").is_dir()


# ---------------------------------------------------------------------------- samconfig.toml


def overrides(environment: str) -> dict[str, str]:
    raw = samconfig()[environment]["deploy"]["parameters"]["parameter_overrides"]
    items = raw if isinstance(raw, list) else raw.split()
    return dict(item.split("=", 1) for item in items)


def test_samconfig_has_dev_and_prod_with_default_mirroring_dev() -> None:
    config = samconfig()
    assert config["version"] == 0.1
    assert config["default"] == config["dev"], "[default] must stay a copy of [dev]"
    for environment, stack_name in SAMCONFIG_ENVIRONMENTS.items():
        tables = config[environment]
        assert tables["global"]["parameters"]["stack_name"] == stack_name
        deploy = tables["deploy"]["parameters"]
        assert "CAPABILITY_IAM" in as_list(deploy["capabilities"])
        assert deploy["resolve_s3"] is True
        assert overrides(environment)["Stage"] == environment
    assert config["prod"]["deploy"]["parameters"]["confirm_changeset"] is True


@pytest.mark.parametrize("environment", sorted(SAMCONFIG_ENVIRONMENTS))
def test_samconfig_overrides_fit_the_template_parameters(environment: str) -> None:
    parameters = template()["Parameters"]
    given = overrides(environment)
    unknown = sorted(set(given) - set(parameters))
    assert not unknown, f"[{environment}] overrides parameters the template lacks: {unknown}"
    required = {name for name, spec in parameters.items() if "Default" not in spec}
    missing = sorted(required - set(given))
    assert not missing, f"[{environment}] leaves required parameters unset: {missing}"
    for name, value in given.items():
        spec = parameters[name]
        if "AllowedValues" in spec:
            assert value in spec["AllowedValues"], f"[{environment}] {name}={value}"
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), f"[{environment}] {name}={value}"


@pytest.mark.parametrize("environment", sorted(SAMCONFIG_ENVIRONMENTS))
def test_samconfig_deploys_to_the_region_of_its_arns(environment: str) -> None:
    region = samconfig()[environment]["global"]["parameters"]["region"]
    arn_regions = {
        value.split(":")[3] for value in overrides(environment).values() if value.startswith("arn:")
    }
    assert arn_regions == {region}, f"[{environment}] region {region}, ARNs in {arn_regions}"


def test_aggregate_runs_on_a_schedule_that_the_local_stack_plays_at_the_same_rate() -> None:
    from local.scheduler import AGGREGATE_EVERY_SECONDS

    events = functions()["AggregateFunction"]["Properties"]["Events"]
    schedules = [e["Properties"] for e in events.values() if e["Type"] == "ScheduleV2"]
    assert len(schedules) == 1
    match = re.fullmatch(
        r"rate\((\d+) (minute|minutes|hour|hours)\)", schedules[0]["ScheduleExpression"]
    )
    assert match, schedules[0]["ScheduleExpression"]
    unit = 60 if match[2].startswith("minute") else 3600
    assert int(match[1]) * unit == AGGREGATE_EVERY_SECONDS
    # A failed invocation is retried, and a stale one dropped rather than piled up.
    assert schedules[0]["RetryPolicy"]["MaximumRetryAttempts"] >= 1

"""What a function's cold start imports: only what its own code reaches.

Each HTTP function is imported in a fresh interpreter, as Lambda's init phase does, and
what it loaded is compared with what its ``app.py`` reaches through module-level
imports, read from the source (imports inside functions, which run only when a route
needs them, and ``TYPE_CHECKING`` blocks are left out):

- no Lectern module loads that the function's code does not import: nothing loads the
  contexts' models in bulk (``Registry.load_models`` is for Alembic, export and
  erasure), so a function holds only the models its routes name, never another
  context's by the way (the registry's own declarations, ``lectern.<context>.context``,
  and their packages, are plain data and may load);
- no adapter SDK (boto3, Typesense, pypdf) loads at import unless the function's code
  imports it at module level: the ports' factories import their adapter on first use.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from local.functions import FUNCTIONS_DIR, ROOT, http_function_names

SHARED = ROOT / "shared"
# The SDKs behind the storage, queue and mail ports, the Typesense index and PDF reading.
ADAPTER_SDKS = ("boto3", "typesense", "pypdf")

CHILD = """
import json, sys
sys.path[:0] = [{shared!r}, {root!r}]
from local.functions import load_module
load_module({name!r})
{after}
print(json.dumps(sorted(sys.modules)))
"""


def _module_path(name: str) -> Path | None:
    base = SHARED.joinpath(*name.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(path: Path) -> set[str]:
    """Modules this file imports when it is imported (not in functions or classes'
    methods, not under ``if TYPE_CHECKING``): ``from a import b`` names ``a`` and ``a.b``."""
    names: set[str] = set()
    pending = list(ast.parse(path.read_text()).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If):
            pending.extend(node.orelse if _is_type_checking(node.test) else node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody)
            pending.extend(s for h in node.handlers for s in h.body)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@cache
def reach(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """The Lectern modules ``functions/<name>/app.py`` imports, directly or through them,
    and the third-party top-level packages those modules import themselves."""
    lectern: set[str] = set()
    third_party: set[str] = set()
    pending = [FUNCTIONS_DIR / name / "app.py"]
    while pending:
        for imported in _top_level_imports(pending.pop()):
            top = imported.split(".")[0]
            if top != "lectern":
                third_party.add(top)
                continue
            # Importing a module imports each package above it.
            parts = imported.split(".")
            for i in range(1, len(parts) + 1):
                module = ".".join(parts[:i])
                path = _module_path(module)
                if path is not None and module not in lectern:
                    lectern.add(module)
                    pending.append(path)
    return frozenset(lectern), frozenset(third_party)


def loaded(name: str, after: str = "") -> set[str]:
    """``sys.modules`` of a fresh interpreter that imported function ``name``'s app
    (then ran ``after``)."""
    code = CHILD.format(shared=str(SHARED), root=str(ROOT), name=name, after=after)
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "LECTERN_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def unexpected(name: str, modules: set[str]) -> dict[str, list[str]]:
    """What function ``name`` loaded beyond its code's reach, by kind."""
    lectern, third_party = reach(name)
    registry = {m for m in modules if m.endswith(".context")}
    registry |= {m.rsplit(".", 1)[0] for m in registry}
    extra = {m for m in modules if m.startswith("lectern.") and m not in lectern | registry}
    return {
        "models": sorted(m for m in extra if m.endswith(".models")),
        "other lectern modules": sorted(m for m in extra if not m.endswith(".models")),
        "adapter SDKs": sorted(
            sdk for sdk in ADAPTER_SDKS if sdk in modules and sdk not in third_party
        ),
    }


NOTHING: dict[str, list[str]] = {
    "models": [],
    "other lectern modules": [],
    "adapter SDKs": [],
}


@pytest.mark.parametrize("name", http_function_names())
def test_a_function_loads_only_what_its_code_imports(name: str) -> None:
    assert unexpected(name, loaded(name)) == NOTHING


def test_no_function_needs_an_adapter_sdk_at_import() -> None:
    """The SDKs are the factories' to import, on first use, in every function."""
    users = {
        name: sorted(set(ADAPTER_SDKS) & reach(name)[1])
        for name in http_function_names()
        if set(ADAPTER_SDKS) & reach(name)[1]
    }
    assert users == {}


def test_the_check_sees_models_loaded_in_bulk() -> None:
    """Loading every context's models (what export and Alembic do) is caught."""
    after = "from lectern.core.registry import get_registry; get_registry().load_models()"
    found = unexpected("health", loaded("health", after))
    assert "lectern.catalog.models" in found["models"]
    assert "lectern.assessment.models" in found["models"]


def test_the_check_sees_an_adapter_sdk() -> None:
    found = unexpected("health", loaded("health", "import boto3, pypdf"))
    assert found["adapter SDKs"] == ["boto3", "pypdf"]


# Every function module but the migrate function's (one invocation per deploy).
STARTUP_MODULES = [
    *(FUNCTIONS_DIR / name / "app.py" for name in http_function_names()),
    *(path for path in sorted(FUNCTIONS_DIR.glob("*/handler.py")) if path.parent.name != "migrate"),
]


@pytest.mark.parametrize("path", STARTUP_MODULES, ids=lambda p: p.parent.name)
def test_a_function_imports_lectern_startup_before_anything_else(path: Path) -> None:
    """Else what loads before it loads with the collector running (``lectern.startup``)."""
    body = ast.parse(path.read_text()).body
    imports = [
        node
        for node in body
        if isinstance(node, ast.Import | ast.ImportFrom)
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]
    first = imports[0]
    assert isinstance(first, ast.Import) and [a.name for a in first.names] == ["lectern.startup"]


@pytest.mark.parametrize(
    "path", [p for p in STARTUP_MODULES if p.name == "handler.py"], ids=lambda p: p.parent.name
)
def test_a_background_handler_ends_the_pause_first(path: Path) -> None:
    """HTTP functions end it in ``lambda_handler``; a background one, itself."""
    [handler] = [
        node
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef) and node.name == "handler"
    ]
    statements = [
        s
        for s in handler.body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))  # docstring
    ]
    assert ast.unparse(statements[0]) == "lectern.startup.loaded()"

"""The package's import rules, read from the source (every import, also inside functions):

- no context imports ``lectern.api`` (the HTTP layer imports contexts, never the reverse);
- core imports no context (beyond the list of installed ones);
- a port module imports none of its adapters: only its factory does;
- no import cycle among the package's modules.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared"
# "" is the root package (lectern/__init__.py); kv is the Upstash port core throttles with.
PLUMBING = {
    "",
    "kv",
    "api",
    "core",
    "db",
    "config",
    "errors",
    "observability",
    "contexts",
    "privacy",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SHARED / "lectern").rglob("*.py"):
        parts = path.relative_to(SHARED).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every lectern module this file imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n in MODULES}


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_context_imports_the_http_layer():
    offenders = {
        module: sorted(i for i in imports if _top(i) == "api")
        for module, imports in GRAPH.items()
        if _top(module) != "api" and any(_top(i) == "api" for i in imports)
    }
    assert offenders == {}


def test_core_imports_no_context():
    offenders = {
        module: sorted(i for i in imports if _top(i) not in PLUMBING)
        for module, imports in GRAPH.items()
        if _top(module) == "core" and any(_top(i) not in PLUMBING for i in imports)
    }
    assert offenders == {}


def test_ports_import_no_adapter():
    ports = [m for m in MODULES if m.endswith(".port")]
    assert ports
    offenders = {
        port: sorted(i for i in GRAPH[port] if i.startswith(port.rsplit(".", 1)[0] + "."))
        for port in ports
    }
    assert {p: i for p, i in offenders.items() if i} == {}


def _cycle() -> list[str] | None:
    """One import cycle, if there is any."""
    try:
        TopologicalSorter(GRAPH).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_no_import_cycles():
    assert _cycle() is None


def test_the_checker_sees_a_cycle():
    GRAPH["lectern.core.ids"].add("lectern.core.pagination")
    GRAPH["lectern.core.pagination"].add("lectern.core.ids")
    try:
        assert set(_cycle() or ()) == {"lectern.core.ids", "lectern.core.pagination"}
    finally:
        GRAPH["lectern.core.ids"].discard("lectern.core.pagination")
        GRAPH["lectern.core.pagination"].discard("lectern.core.ids")

"""Find and load the Lambda functions under functions/ without putting them on sys.path.

In AWS each function's folder is its own code root (so its module is plain ``app``);
here they are loaded side by side under unique module names.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"


def http_function_names() -> list[str]:
    """Functions that serve HTTP routes: those with an ``app.py``."""
    return sorted(p.parent.name for p in FUNCTIONS_DIR.glob("*/app.py"))


def load_module(name: str, filename: str = "app.py") -> ModuleType:
    """Import ``functions/<name>/<filename>`` once, as ``lectern_functions.<name>.<stem>``."""
    path = FUNCTIONS_DIR / name / filename
    module_name = f"lectern_functions.{name}.{Path(filename).stem}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module

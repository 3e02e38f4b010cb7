"""The generators in ``scripts/`` (run by maintainers, not shipped in the package), imported by the tests that
check what they generate."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from .conftest import REPO


def generator(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (loaded once)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]

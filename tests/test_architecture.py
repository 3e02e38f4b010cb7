"""The package's shape: no import cycles, a config that depends on nothing, clouds that keep to their folders.

A static check over every import in the package (module level and inside
functions, but not ``if TYPE_CHECKING:`` blocks), plus the dynamic lookups of
``linking.providers.part``/``parts``, which import a provider's part by name.
"""

from __future__ import annotations

import ast
from pathlib import Path

from linking.providers import PROVIDERS

from .conftest import REPO

PACKAGE = REPO / "linking"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(module: str) -> set[str]:
    """The package's modules that ``module`` imports, directly or through ``part``/``parts``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                 for node in ast.walk(block)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("part", "parts"):
            name = node.args[-1]
            if isinstance(name, ast.Constant):
                found.update(f"linking.{provider}.{name.value}" for provider in PROVIDERS)
    return {m for m in found if m in MODULES and m != module}


GRAPH = {module: _imports(module) for module in MODULES}


def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycles():
    assert _cycles() == []


def test_the_check_finds_a_cycle_when_there_is_one():
    GRAPH["linking.errors"].add("linking.config")
    try:
        assert any({"linking.config", "linking.errors"} <= set(group) for group in _cycles())
    finally:
        GRAPH["linking.errors"].discard("linking.config")


def test_config_depends_on_errors_schemas_and_file_containment_only():
    assert GRAPH["linking.config"] == {"linking.errors", "linking.files", "linking.validation"}
    assert GRAPH["linking.files"] == {"linking.errors"}
    assert GRAPH["linking.validation"] == {"linking.errors"}


def test_a_cloud_folder_imports_no_other_cloud():
    for provider in PROVIDERS:
        others = {p for p in PROVIDERS if p != provider}
        for module in (m for m in MODULES if m.startswith(f"linking.{provider}.")):
            assert not {m for m in GRAPH[module] if m.split(".")[1] in others}, module


def test_the_provider_neutral_core_imports_no_cloud_folder():
    core = {"linking.config", "linking.errors", "linking.validation", "linking.policy", "linking.canonical",
            "linking.findings", "linking.names", "linking.tags", "linking.record", "linking.catalogue", "linking.extras"}
    for module in core:
        assert not {m for m in GRAPH[module] if m.split(".")[1] in PROVIDERS or m.startswith("linking.workload")}, module

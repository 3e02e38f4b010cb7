"""The package's shape: no import cycles between modules or folders, a contract that depends on nothing, clouds
that keep to their folders and are named nowhere else, modules and functions a reader can hold in their head.

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


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
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

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def _folder(module: str) -> str:
    """A subpackage (``aws``, ``plan``) or a module of the package's root (``config``): the units that may not
    import each other in a circle."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _folder_graph() -> dict[str, set[str]]:
    folders: dict[str, set[str]] = {}
    for module, imported in GRAPH.items():
        folders.setdefault(_folder(module), set()).update(_folder(m) for m in imported if _folder(m) != _folder(module))
    for targets in list(folders.values()):
        for target in targets:
            folders.setdefault(target, set())
    return folders


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_no_folder_cycles():
    """The layers: contract and records, then each cloud, then the registry and config, then the orchestrators
    (plan, review, the stack program, the plugin, the command line)."""
    assert _cycles(_folder_graph()) == []


def test_the_check_finds_a_cycle_when_there_is_one():
    GRAPH["linking.errors"].add("linking.config")
    try:
        assert any({"linking.config", "linking.errors"} <= set(group) for group in _cycles(GRAPH))
    finally:
        GRAPH["linking.errors"].discard("linking.config")
    GRAPH["linking.aws.lint"].add("linking.plan.runtime")
    try:
        assert any({"aws", "plan"} <= set(group) for group in _cycles(_folder_graph()))
    finally:
        GRAPH["linking.aws.lint"].discard("linking.plan.runtime")


def test_the_contract_depends_on_errors_and_schemas_only():
    assert GRAPH["linking.contract"] == {"linking.errors", "linking.validation"}
    assert GRAPH["linking.files"] == {"linking.errors"}
    assert GRAPH["linking.validation"] == {"linking.errors"}


def test_a_cloud_folder_imports_no_other_cloud():
    for provider in PROVIDERS:
        others = {p for p in PROVIDERS if p != provider}
        for module in (m for m in MODULES if m.startswith(f"linking.{provider}.")):
            assert not {m for m in GRAPH[module] if m.split(".")[1] in others}, module


CORE = {"linking.contract", "linking.errors", "linking.validation", "linking.files", "linking.policy", "linking.canonical",
        "linking.findings", "linking.names", "linking.tags", "linking.record", "linking.catalogue", "linking.extras",
        "linking.descriptor", "linking.planned", "linking.component", "linking.display", "linking.hosting"}
"""What every cloud builds on; it names none of them."""


def test_the_provider_neutral_core_imports_no_cloud_folder():
    core = CORE
    for module in core:
        assert not {m for m in GRAPH[module] if m.split(".")[1] in PROVIDERS or m.startswith("linking.workload")}, module


REGISTRY = {"linking.providers"}
"""The one module outside the cloud folders that names them (and ``linking/__init__``, which re-exports their types)."""


def _provider_literals(source: str, name: str) -> list[str]:
    return [f"{name}:{node.lineno}: {node.value!r}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in PROVIDERS]


def test_no_module_outside_the_cloud_folders_names_a_cloud():
    """Adding a cloud means adding its folder and its name in the registry: nothing else compares, keys or
    branches on a cloud's name (a string literal equal to one)."""
    found = [hit for module, path in MODULES.items()
             if module.split(".")[1:2] and module.split(".")[1] not in PROVIDERS and module not in REGISTRY
             for hit in _provider_literals(path.read_text(encoding="utf-8"), module)]
    assert found == []


def test_the_literal_check_sees_a_cloud_named_as_a_key_or_in_a_comparison():
    assert _provider_literals('COST = {"gcp": 51.0}\nif provider == "aws": pass\n', "planted") == ["planted:1: 'gcp'", "planted:2: 'aws'"]


MAX_MODULE_LINES, MAX_FUNCTION_LINES = 450, 80


def test_no_module_is_longer_than_a_reader_holds():
    long = {module: n for module, path in MODULES.items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_longer_than_a_screen():
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                long.append(f"{module}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert long == []

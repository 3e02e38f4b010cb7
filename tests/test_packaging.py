"""Packaging: a pip-installed linking carries its policy documents and schemas; imports stay lazy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from linking.providers import cloud

from .conftest import REPO


def python(code: str, **env: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd="/", env={**os.environ, **env}
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


SDK_MODULES = {"linking.policypack.__main__", "linking.policypack.validators"} | {
    f"linking.{folder}.component" for folder in ("aws", "azure", "gcp", "kubernetes", "workload")
}
"""The only modules that import a cloud (or policy) SDK."""


def _package_modules() -> list[str]:
    found = []
    for path in sorted((REPO / "linking").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def _sdks_loaded_by(modules: list[str]) -> list[str]:
    return json.loads(python(
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules if m.startswith(('pulumi_', 'pulumiverse_'))})))"
    ))


def test_every_module_but_the_components_imports_no_cloud_sdk():
    sdk_free = [m for m in _package_modules() if m not in SDK_MODULES and m != "linking.__main__"]
    assert "linking.aws" in sdk_free and "linking.plan.runtime" in sdk_free
    assert _sdks_loaded_by(sdk_free) == []


@pytest.mark.parametrize(
    "module,sdks",
    [
        ("linking.aws.component", ["pulumi_aws"]),  # pulumi_random only when an external ID is generated
        ("linking.azure.component", ["pulumi_azure_native"]),  # pulumi_azuread only for an Entra application
        ("linking.gcp.component", ["pulumi_gcp"]),  # pulumiverse_time only for a rotated key
        ("linking.kubernetes.component", ["pulumi_kubernetes"]),
        ("linking.workload.component", ["pulumi_kubernetes"]),  # each cloud's SDK loads only for a workload on it
        ("linking.policypack.validators", ["pulumi_policy"]),
    ],
)
def test_provider_module_imports_only_its_own_sdk(module, sdks):
    assert _sdks_loaded_by([module]) == sdks


@pytest.mark.parametrize("package,component", [("linking.aws", "AwsAccountLink"), ("linking.gcp", "GcpProjectLink"),
                                               ("linking.workload", "LinkedServiceAccount")])
def test_the_component_is_importable_from_its_cloud_package(package, component):
    out = python(f"import sys; from {package} import {component}; print({component}.__module__)")
    assert out.strip() == f"{package}.component"


@pytest.mark.parametrize("extra,module", [("gcp", "linking.gcp"), ("azure", "linking.azure"), ("aws", "linking.aws"),
                                          ("kubernetes", "linking.kubernetes")])
def test_a_missing_extra_is_one_line_naming_it_on_import(extra, module):
    blocked = cloud(extra).sdk_modules[0]
    code = (
        f"import sys; sys.modules[{blocked!r}] = None\n"
        "import pulumi\n"
        "from linking.extras import MissingExtraError\n"
        "try:\n"
        f"    from {module} import *\n"
        "except MissingExtraError as exc:\n"
        "    print(isinstance(exc, ModuleNotFoundError), isinstance(exc, pulumi.RunError), exc)\n"
    )
    out = python(code).strip()
    assert out.startswith("True True ")
    assert f"pip install 'cloud-linking[{extra}]'" in out and blocked in out and "\n" not in out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        check=True, capture_output=True, timeout=600,
    )
    (found,) = out.glob("cloud_linking-*.whl")
    return found


@pytest.mark.slow
def test_wheel_ships_policy_docs_schemas_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for doc in sorted((REPO / "policy_docs").rglob("*.json")):
        assert f"linking/policy_docs/{doc.relative_to(REPO / 'policy_docs')}" in names
    for schema in sorted((REPO / "linking" / "schemas").glob("*.json")):
        assert f"linking/schemas/{schema.name}" in names
    assert "linking/py.typed" in names
    assert "linking/policypack/PulumiPolicy.yaml" in names
    for snapshot in sorted((REPO / "linking" / "catalogues").iterdir()):
        assert f"linking/catalogues/{snapshot.name}" in names
    assert "linking/policy_docs/kubernetes/admin.ledger.yaml" in names
    assert wheel.stat().st_size < 5 * 2**20  # the budget: shipped data stays small
    assert not any(n.startswith(("tests/", "stacks/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_renders_the_aws_admin_document(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
        check=True, capture_output=True, timeout=600,
    )
    out = python(
        "import json, linking, linking.aws as a, linking.policy as p\n"
        "r = a.render_policy(p.builtin_document_path('aws', 'admin'), a.AwsNames('acme-prod', '123456789012', 'aws'), 'k')\n"
        "print(json.dumps({'module': linking.__file__, 'docs': str(p.policy_docs_root()), 'sha': r.sha256}))",
        PYTHONPATH=str(site),
    )
    found = json.loads(out)
    assert found["module"].startswith(str(site))
    assert found["docs"] == str(site / "linking" / "policy_docs")
    from linking.aws import AwsNames, render_policy
    from linking.policy import builtin_document_path

    assert found["sha"] == render_policy(builtin_document_path("aws", "admin"), AwsNames("acme-prod", "123456789012", "aws"), "k").sha256

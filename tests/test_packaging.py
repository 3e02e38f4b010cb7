"""Packaging: a pip-installed linking carries its policy documents and schemas; imports stay lazy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


def python(code: str, **env: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd="/", env={**os.environ, **env}
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_core_imports_no_cloud_sdk():
    loaded = json.loads(python(
        "import json, sys, linking, linking.config, linking.policy, linking.aws_iam, linking.gcp_iam, linking.azure_rbac, linking.kubernetes_rbac, linking.names,"
        " linking.record, linking.tags, linking.component, linking.plan, linking.cli, linking.lint, linking.check,"
        " linking.review, linking.diff, linking.catalogue;"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('pulumi_', 'pulumiverse_')))))"
    ))
    assert loaded == []


@pytest.mark.parametrize(
    "module,sdks",
    [
        ("linking.aws", ["pulumi_aws", "pulumi_random"]),
        ("linking.azure", ["pulumi_azure_native", "pulumi_azuread"]),
        ("linking.gcp", ["pulumi_gcp", "pulumiverse_time"]),
        ("linking.kubernetes", ["pulumi_kubernetes"]),
        ("linking.workload", ["pulumi_kubernetes"]),  # each cloud's SDK loads only for a workload on it
        ("linking.policypack.validators", ["pulumi_policy"]),
    ],
)
def test_provider_module_imports_only_its_own_sdk(module, sdks):
    loaded = json.loads(python(
        f"import json, sys, {module}; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules if m.startswith(('pulumi_', 'pulumiverse_'))})))"
    ))
    assert loaded == sdks


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

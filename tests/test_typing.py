"""The package type-checks (mypy with the project's configuration: strict's rules on the public API), and a program
that passes Outputs where the README says it may type-checks: mypy, strict, on the README's own example
and on a program that hands every run-time setting an ``Output[str]`` (an account, subscription, project or cluster
it vends, a control-plane role or issuer it declares). The provider SDKs are not followed (reading pulumi_aws alone
takes minutes): Outputs come from ``pulumi.Output``, typed as the SDKs type theirs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .plan.test_plan_cli import _readme_block

pytest.importorskip("mypy")

OUTPUTS_EVERYWHERE = '''
import pulumi
from linking import (AwsControlPlane, AwsSettings, AwsWorkload, AzureSettings, ControlPlane, GcpSettings,
                     KubernetesSettings, LinkSpec, OidcControlPlane, WorkloadSpec)

def vended(value: str) -> pulumi.Output[str]:
    return pulumi.Output.from_input(value)

role = vended("arn:aws:iam::111122223333:role/control-plane")
issuer = vended("https://token.actions.githubusercontent.com")
links = [
    LinkSpec(id="team-aws", tier="readonly", owner="team@acme.example",
             control_plane=ControlPlane(aws=AwsControlPlane(principal_arn=role)), aws=AwsSettings(account_id=vended("210987654321"))),
    LinkSpec(id="team-azure", tier="readonly", owner="team@acme.example",
             control_plane=ControlPlane(oidc=OidcControlPlane(issuer=issuer, subject="repo:acme/cp:environment:prod")),
             azure=AzureSettings(subscription_id=vended("6f1d3a52-9c1e-4b1a-8f3e-2d7c5b9a0e11"), tenant_id=vended("0a3c1d2e-4f5b-4c6d-8e7f-9a0b1c2d3e4f"))),
    LinkSpec(id="team-gcp", tier="readonly", owner="team@acme.example",
             control_plane=ControlPlane(oidc=OidcControlPlane(issuer=issuer, subject="s", audience="linking")),
             gcp=GcpSettings(project=vended("team-apps-7f3a"), access="workload-identity")),
    LinkSpec(id="team-k8s", tier="readonly", owner="team@acme.example",
             kubernetes=KubernetesSettings(server=vended("https://k8s.example"), ca_data=vended("PEM"))),
]
workload = WorkloadSpec(name="exporter", namespace="reports", cloud="aws", owner="data@acme.example",
                        aws=AwsWorkload(oidc_issuer=vended("https://oidc.eks.eu-west-1.amazonaws.com/id/X")))
'''

CONFIG = """[mypy]
follow_imports = silent
ignore_missing_imports = True
[mypy-pulumi_aws.*,pulumi_azure_native.*,pulumi_gcp.*,pulumi_kubernetes.*,pulumi_azuread.*,pulumi_random.*,pulumiverse_time.*]
follow_imports = skip
"""


def test_programs_that_pass_outputs_where_documented_type_check_strictly(tmp_path):
    (tmp_path / "mypy.ini").write_text(CONFIG)
    (tmp_path / "readme_example.py").write_text(_readme_block("### In your own Pulumi program"))
    (tmp_path / "outputs_everywhere.py").write_text(OUTPUTS_EVERYWHERE)
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", "mypy.ini",
                           "readme_example.py", "outputs_everywhere.py"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_package_type_checks():
    """mypy on ``linking`` with pyproject.toml's settings: 0 errors (the SDKs are not followed; see there)."""
    from .conftest import REPO

    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

"""`linking plan` on stack files: the example stack, secrets it cannot decrypt, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from linking.cli import main
from linking.plan.stackfile import load_stack_file, plan_stack_file
from linking.planned import Secret

from ..conftest import REPO
from ..builders import write_project

EXAMPLE = REPO / "stacks" / "Pulumi.aws-example.yaml"


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linking", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_example_stack_plans():
    result = plan_stack_file(EXAMPLE)
    assert result.stack == "aws-example"
    assert {r.type for r in result.resources} == {
        "linking:aws:AccountLink",
        "aws:iam/role:Role",
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "random:index/randomPassword:RandomPassword",
    }
    record = result.outputs["linkRecord"]
    assert record["linkId"] == "acme-prod" and record["target"]["accountId"] == "123456789012"
    assert record["expiresAt"] == "2027-06-30T00:00:00Z"
    assert isinstance(result.outputs["linkSecrets"], Secret)


def test_stack_file_becomes_the_engine_config_map():
    stack = load_stack_file(EXAMPLE)
    assert stack.project == "linking" and stack.stack == "aws-example" and stack.project_root == REPO
    assert stack.config["aws:region"] == "eu-west-1"
    assert stack.config["linking:link"].startswith("{")


def test_cli_prints_resources_trust_and_permissions_in_full_with_detail():
    completed = run_cli("plan", "--detail", "stacks/Pulumi.aws-example.yaml")
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "+ linking:aws:AccountLink  acme-prod" in out
    assert "  + aws:iam/role:Role  acme-prod-role" in out
    assert "aws:iam/role:Role acme-prod-role (a Pulumi secret" in out
    assert '"sts:ExternalId": "[secret]"' in out
    assert "aws:iam/policy:Policy acme-prod-permissions-1:" in out
    assert '"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/linking/linking-acme-prod-workload-boundary"' in out
    assert "linkSecrets: [secret]" in out
    assert completed.stderr == ""


def test_the_default_text_is_a_summary_a_reviewer_reads():
    """A line a statement, conditions in words (at most 300 lines for the AWS admin example, 2,656 in full)."""
    out = run_cli("plan", "stacks/Pulumi.aws-example.yaml").stdout
    lines = out.splitlines()
    assert len(lines) <= 300 and "Every document and output in full: linking plan --detail" in out
    assert ("  assumeRolePolicy: ControlPlaneAssumeRole: Allow arn:aws:iam::111122223333:role/control-plane sts:AssumeRole "
            "if aws:CurrentTime before 2027-06-30T00:00:00Z and sts:ExternalId = [secret]") in lines
    assert any("WorkloadRoleWritesOnlyWithBoundary: Allow 6 actions of 1 service on arn:aws:iam::123456789012:role/"
               "linking-workloads/acme-prod/* if iam:PermissionsBoundary = arn:aws:iam::123456789012:policy/linking/" in line for line in lines)
    assert '{"' not in out and "True" not in out


def test_the_markdown_plan_counts_grants_by_service_and_lists_them_with_detail(capsys):
    """The AWS admin example: a row a service and effect (2,091 lines when every grant was listed)."""
    assert main(["plan", "--quiet", "--format", "markdown", str(REPO / "stacks/Pulumi.aws-example.yaml")]) == 0
    summary = capsys.readouterr().out
    rows = {line.split(" | ")[0].strip("| `"): int(line.split(" | ")[1].strip(" |").replace(",", ""))
            for line in summary.splitlines() if line.startswith("| `Allow ") or line.startswith("| `Deny ")}
    assert len(summary.splitlines()) <= 150 and rows["Allow iam"] > 0 and rows["Deny iam"] > 0
    assert main(["plan", "--quiet", "--format", "markdown", "--detail", str(REPO / "stacks/Pulumi.aws-example.yaml")]) == 0
    detail = [line for line in capsys.readouterr().out.splitlines() if line.startswith("- `Allow ") or line.startswith("- `Deny ")]
    assert len(detail) == sum(rows.values()) and f"<summary>{len(detail)} grants</summary>" in summary
    assert sum(line.startswith("- `Allow iam:") for line in detail) == rows["Allow iam"]


def test_plan_is_deterministic():
    assert run_cli("plan", "stacks/Pulumi.aws-example.yaml").stdout == run_cli("plan", "stacks/Pulumi.aws-example.yaml").stdout


def test_secure_values_plan_with_a_placeholder(tmp_path):
    write_project(tmp_path, "platform")
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(EXAMPLE.read_text().replace(
        "        # externalId: omitted",
        "        externalId:\n          secure: v1:abc:def\n        # externalId: omitted",
    ))
    result = plan_stack_file(stack)
    assert result.by_type("random:index/randomPassword:RandomPassword") == []
    assert result.outputs["linkSecrets"] == Secret({"externalId": "[secret]"})


def test_bad_stack_is_one_line_without_traceback(tmp_path):
    write_project(tmp_path, "platform")
    (tmp_path / "Pulumi.bad.yaml").write_text(EXAMPLE.read_text().replace('accountId: "123456789012"', 'accountId: "1234"'))
    completed = run_cli("plan", str(tmp_path / "Pulumi.bad.yaml"))
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().endswith('linking:link.aws.accountId: got "1234"; expected a 12-digit AWS account id, quoted in YAML so leading zeros survive')


def test_yaml_error_names_file_and_line(tmp_path, capsys):
    write_project(tmp_path, "platform")
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  linking:link:\n    id: [unclosed\n")
    assert main(["plan", str(tmp_path / "Pulumi.broken.yaml")]) == 1
    err = capsys.readouterr().err
    assert "Pulumi.broken.yaml" in err and "line 4" in err


def test_stack_program_entry_point_is_thin():
    text = (REPO / "stacks" / "__main__.py").read_text()
    assert "program.run(" in text and len(text.splitlines()) < 10


def test_a_provider_without_its_extra_is_a_clear_error(link, plan, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pulumi_aws" else real(name, *a))
    error = plan.expect_error(link, "linking:link.provider", "pip install 'cloud-linking[aws]'")
    assert "pulumi_aws" in error.expected


def _stack_with_environment(tmp_path: Path, environment: object) -> Path:
    write_project(tmp_path, "linking")
    stack = tmp_path / "Pulumi.esc.yaml"
    stack.write_text(yaml.safe_dump({"environment": environment, **yaml.safe_load(EXAMPLE.read_text())}))
    return stack


@pytest.mark.parametrize("environment", [["acme/prod", "acme/aws-creds"], {"imports": ["acme/prod", "acme/aws-creds"]}])
def test_esc_environments_are_named_in_a_warning_in_every_format(tmp_path, capsys, environment):
    stack = _stack_with_environment(tmp_path, environment)
    plan_json = tmp_path / "plan.json"
    assert main(["plan", str(stack), "--json", str(plan_json)]) == 0
    text = capsys.readouterr().out
    assert main(["plan", str(stack), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    warnings = json.loads(plan_json.read_text())["stacks"][0]["warnings"]
    expected = "Pulumi ESC environments that an offline plan cannot resolve: acme/prod, acme/aws-creds"
    assert any(expected in w for w in warnings)
    assert expected in text.split("Warnings:")[1]
    assert f"> warning: the stack imports {expected}" in markdown


def test_a_malformed_environment_block_is_an_error_naming_it(tmp_path, capsys):
    stack = _stack_with_environment(tmp_path, {"imports": "acme/prod"})
    assert main(["plan", str(stack)]) == 1
    assert "environment" in capsys.readouterr().err


def test_a_folder_without_stack_files_is_bad_input(tmp_path, capsys):
    assert main(["plan", str(tmp_path)]) == 2
    assert "no stack files" in capsys.readouterr().err


@pytest.mark.parametrize("path", ["nowhere/", "nowhere/Pulumi.dev.yaml", "Pulumi.missing.yaml"])
def test_a_path_that_does_not_exist_is_bad_input_that_says_what_was_looked_for(path, tmp_path, capsys):
    assert main(["plan", str(tmp_path / path)]) == 2
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "Pulumi.<stack>.yaml" in err and err.count("\n") == 1


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("linking ")


def _failing_program(root, body: str) -> None:
    from tests.builders import write_project

    write_project(root)
    (root / "__main__.py").write_text("import pulumi\n\n\ndef build():\n" + body + "\n\n\nbuild()\n")


def test_an_exception_in_the_users_program_is_reported_as_theirs_with_file_and_line(tmp_path, link, capsys):
    root = tmp_path / "platform"
    _failing_program(root, "    pulumi.Config().require_object('nothing', wrong_keyword=1)")
    (root / "Pulumi.dev.yaml").write_text(json.dumps({"config": {"linking:link": link}}))
    assert main(["plan", str(root / "Pulumi.dev.yaml")]) == 1
    err = capsys.readouterr().err
    assert "the program raised TypeError:" in err and "wrong_keyword" in err and "(__main__.py:5)" in err
    assert "defect in linking" not in err and "Traceback" not in err


def test_debug_adds_the_traceback(tmp_path, link, capsys, monkeypatch):
    monkeypatch.setenv("LINKING_DEBUG", "0")  # restored afterwards: --debug sets it for the process
    root = tmp_path / "platform"
    _failing_program(root, "    raise ValueError('the user broke it')")
    (root / "Pulumi.dev.yaml").write_text(json.dumps({"config": {"linking:link": link}}))
    assert main(["plan", str(root / "Pulumi.dev.yaml"), "--debug"]) == 1
    err = capsys.readouterr().err
    assert "the program raised ValueError: the user broke it (__main__.py:5)" in err and "Traceback" in err


def _readme_block(heading: str) -> str:
    """The first Python block under a README heading, as the README shows it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading):]
    return section[section.index("```python\n") + len("```python\n"):section.index("\n```", section.index("```python\n"))]


def test_the_readmes_own_program_example_plans_as_written(tmp_path, capsys):
    """Copied by the test from README.md, not into it: the link targets account 210987654321, which no stack config
    names, so the offline plan cannot compare it with credentials and says so instead of failing."""
    root = tmp_path / "platform"
    write_project(root, program=False)
    (root / "__main__.py").write_text(_readme_block("### In your own Pulumi program"))
    (root / "Pulumi.dev.yaml").write_text(json.dumps({"config": {"aws:region": "eu-west-1"}}))
    assert main(["plan", "--detail", str(root / "Pulumi.dev.yaml")]) == 0
    out = capsys.readouterr().out
    assert "linking:aws:AccountLink" in out and "210987654321" in out
    assert "linking:link.aws.accountId: not checked offline" in out


def test_a_configured_identity_is_still_checked_offline(tmp_path, capsys):
    root = tmp_path / "platform"
    write_project(root, program=False)
    (root / "__main__.py").write_text(_readme_block("### In your own Pulumi program"))
    (root / "Pulumi.dev.yaml").write_text(json.dumps({"config": {"aws:allowedAccountIds": "[\"123456789012\"]"}}))
    assert main(["plan", str(root / "Pulumi.dev.yaml")]) == 1
    assert "expected what the credentials reach, 123456789012" in capsys.readouterr().err


VEND_AND_LINK = {
    "aws": """
import pulumi
import pulumi_aws as aws
from linking import AwsControlPlane, AwsSettings, ControlPlane, LinkSpec
from linking.aws import AwsAccountLink, AwsAccountLinkArgs

account = aws.organizations.Account("sandbox", email="sandbox@acme.example", name="sandbox")
link = AwsAccountLink("sandbox", AwsAccountLinkArgs(LinkSpec(
    id="team-sandbox", tier="readonly", owner="team@acme.example",
    control_plane=ControlPlane(aws=AwsControlPlane(principal_arn="arn:aws:iam::111122223333:role/control-plane")),
    aws=AwsSettings(account_id=account.id))))
pulumi.export("linkRecord", link.link_record)
""",
    "azure": """
import pulumi
import pulumi_azure_native as azure_native
from linking import AzureSettings, ControlPlane, LinkSpec, OidcControlPlane
from linking.azure import AzureSubscriptionLink, AzureSubscriptionLinkArgs

alias = azure_native.subscription.Alias("team", alias_name="team-apps", properties={
    "display_name": "team apps", "workload": "Production",
    "billing_scope": "/providers/Microsoft.Billing/billingAccounts/1234/enrollmentAccounts/5678"})
link = AzureSubscriptionLink("team", AzureSubscriptionLinkArgs(LinkSpec(
    id="team-apps", tier="readonly", owner="team@acme.example",
    control_plane=ControlPlane(oidc=OidcControlPlane(issuer="https://token.actions.githubusercontent.com",
                                                     subject="repo:acme/cp:environment:prod")),
    azure=AzureSettings(subscription_id=alias.properties.subscription_id, tenant_id="0a3c1d2e-4f5b-4c6d-8e7f-9a0b1c2d3e4f",
                        location="westeurope"))))
pulumi.export("linkRecord", link.link_record)
""",
    "gcp": """
import pulumi
import pulumi_gcp as gcp
from linking import ControlPlane, GcpControlPlane, GcpSettings, LinkSpec
from linking.gcp import GcpProjectLink, GcpProjectLinkArgs

project = gcp.organizations.Project("team", project_id="team-apps-7f3a", name="team apps", org_id="123456789012")
link = GcpProjectLink("team", GcpProjectLinkArgs(LinkSpec(
    id="team-apps", tier="readonly", owner="team@acme.example",
    control_plane=ControlPlane(gcp=GcpControlPlane(member="serviceAccount:cp@control-plane.iam.gserviceaccount.com")),
    gcp=GcpSettings(project=project.project_id))))
pulumi.export("linkRecord", link.link_record)
""",
}


@pytest.mark.parametrize("cloud", sorted(VEND_AND_LINK))
def test_a_program_that_vends_an_account_subscription_or_project_and_links_it_plans(tmp_path, capsys, cloud):
    root = tmp_path / "platform"
    write_project(root, program=False)
    (root / "__main__.py").write_text(VEND_AND_LINK[cloud])
    (root / "Pulumi.dev.yaml").write_text(json.dumps({"config": {}}))
    assert main(["plan", str(root / "Pulumi.dev.yaml")]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "not checked offline" in out and "linkRecord" in out


def test_an_issuer_known_only_after_apply_plans_and_shows_so(tmp_path, capsys):
    """An Azure link trusting a cluster's issuer that the engine learns only when the cluster exists: never the SDK's
    sentinel serialised, the plan says '(known after apply)'."""
    root = tmp_path / "platform"
    write_project(root, program=False)
    (root / "__main__.py").write_text(VEND_AND_LINK["azure"].replace(
        'issuer="https://token.actions.githubusercontent.com"',
        'issuer=azure_native.containerservice.ManagedCluster("aks", resource_group_name="rg", dns_prefix="aks")'
        '.fqdn.apply(lambda fqdn: f"https://{fqdn}/")'))
    (root / "Pulumi.dev.yaml").write_text(json.dumps({"config": {}}))
    assert main(["plan", "--detail", str(root / "Pulumi.dev.yaml")]) == 0, capsys.readouterr().err
    assert '"issuer": "(known after apply)"' in capsys.readouterr().out


def test_a_check_that_fails_when_a_setting_resolves_is_the_users_mistake_not_a_defect(tmp_path, capsys):
    root = tmp_path / "platform"
    write_project(root, program=False)
    (root / "__main__.py").write_text(VEND_AND_LINK["azure"].replace(
        'issuer="https://token.actions.githubusercontent.com"',
        'issuer=pulumi.Output.from_input("http://not-https.example")'))
    (root / "Pulumi.dev.yaml").write_text(json.dumps({"config": {}}))
    assert main(["plan", str(root / "Pulumi.dev.yaml")]) == 1
    err = capsys.readouterr().err
    assert "OidcControlPlane.issuer" in err and "defect" not in err


def test_a_workload_trusting_an_issuer_known_only_after_apply_plans(tmp_path, capsys):
    root = tmp_path / "platform"
    write_project(root, program=False)
    (root / "__main__.py").write_text("""
import pulumi_aws as aws
from linking import AwsWorkload, WorkloadSpec
from linking.workload import LinkedServiceAccount, LinkedServiceAccountArgs

cluster = aws.eks.Cluster("main", role_arn="arn:aws:iam::123456789012:role/eks", vpc_config={"subnet_ids": ["subnet-1"]})
LinkedServiceAccount("exporter", LinkedServiceAccountArgs(WorkloadSpec(
    name="exporter", namespace="reports", cloud="aws", owner="data@acme.example",
    aws=AwsWorkload(oidc_issuer=cluster.identities.apply(lambda ids: ids[0]["oidcs"][0]["issuer"])))))
""")
    (root / "Pulumi.dev.yaml").write_text(json.dumps({"config": {"aws:region": "eu-west-1"}}))
    assert main(["plan", str(root / "Pulumi.dev.yaml")]) == 0, capsys.readouterr().err
    assert "(known after apply)" in capsys.readouterr().out

"""Guardrails: each lint rule fails and passes on a fixture; waivers; `linking check`; the policy pack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from pulumi_policy import ResourceValidationArgs

from linking import lint
from linking.cli import main
from linking.diff import diff_plans, load_plan
from linking.errors import LinkConfigError
from linking.policypack.validators import POLICIES

from .conftest import REPO

CP = "arn:aws:iam::111122223333:role/control-plane"


def aws_doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: list[str], resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": [resource] if isinstance(resource, str) else resource, **extra}


def trust(principal: dict[str, Any], condition: Any = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": ["sts:AssumeRole"]}
    if condition:
        statement["Condition"] = condition
    return aws_doc(statement)


EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "x"}}
BOUNDARY = {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}}

# rule -> (lint call on a document that breaks it, lint call on one that does not)
FIXTURES: dict[str, tuple[Callable[[], list[lint.Finding]], Callable[[], list[lint.Finding]]]] = {
    "AWS001": (lambda: lint.lint_aws_trust(trust({"AWS": "*"}, EXTERNAL_ID), "t"), lambda: lint.lint_aws_trust(trust({"AWS": CP}, EXTERNAL_ID), "t")),
    "AWS002": (lambda: lint.lint_aws_trust(trust({"AWS": "arn:aws:iam::111122223333:root"}, EXTERNAL_ID), "t"), lambda: lint.lint_aws_trust(trust({"AWS": CP}, EXTERNAL_ID), "t")),
    "AWS003": (lambda: lint.lint_aws_trust(trust({"AWS": CP}), "t"),
               lambda: lint.lint_aws_trust(trust({"Federated": "arn:aws:iam::1:oidc-provider/i"}, {"StringEquals": {"i:sub": "s", "i:aud": "a"}}), "t")),
    "AWS004": (lambda: lint.lint_aws_permissions(aws_doc(allow(["*"])), "p"), lambda: lint.lint_aws_permissions(aws_doc(allow(["s3:ListAllMyBuckets"])), "p")),
    "AWS005": (lambda: lint.lint_aws_permissions(aws_doc({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["*"]}), "p"),
               lambda: lint.lint_aws_permissions(aws_doc({"Effect": "Deny", "NotAction": ["s3:*"], "Resource": ["*"]}), "p")),
    "AWS006": (lambda: lint.lint_aws_permissions(aws_doc(allow(["iam:PassRole"])), "p"),
               lambda: lint.lint_aws_permissions(aws_doc(allow(["iam:CreateRole", "iam:PutRolePolicy"], "arn:aws:iam::1:role/w/*", Condition=BOUNDARY),
                                                          allow(["iam:PassRole"], "arn:aws:iam::1:role/w/*")), "p")),
    "AWS007": (lambda: lint.lint_aws_permissions(aws_doc(allow(["s3:Get*"])), "p", tier="readonly"),
               lambda: lint.lint_aws_permissions(aws_doc(allow(["ec2:Describe*"]), {"Effect": "Deny", "Action": ["ec2:DescribeInstanceAttribute"], "Resource": ["*"]}), "p", tier="readonly")),
    "AZ001": (lambda: lint.lint_azure({"Actions": ["Microsoft.Authorization/*"]}, "r"), lambda: lint.lint_azure({"Actions": ["Microsoft.Compute/*"]}, "r")),
    "AZ002": (lambda: lint.lint_azure({"Actions": ["Microsoft.Authorization/roleAssignments/write"]}, "r"),
              lambda: lint.lint_azure({"Actions": ["Microsoft.Authorization/roleAssignments/write"]}, "r", assignment_condition="(...)")),
    "AZ003": (lambda: lint.lint_azure({"Actions": ["*/read"], "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]}, "r", tier="readonly"),
              lambda: lint.lint_azure({"Actions": ["*/read"], "DataActions": []}, "r", tier="readonly")),
    "GCP001": (lambda: lint.lint_gcp([], "b", roles=["roles/editor"]), lambda: lint.lint_gcp([], "b", roles=["roles/storage.objectViewer"])),
    "GCP002": (lambda: lint.lint_gcp(["iam.serviceAccounts.actAs"], "r"), lambda: lint.lint_gcp(["iam.serviceAccounts.get"], "r")),
    "GCP003": (lambda: lint.lint_gcp(["storage.objects.get"], "r", tier="readonly"), lambda: lint.lint_gcp(["storage.buckets.get"], "r", tier="readonly")),
    "GCP004": (lambda: lint.lint_gcp([], "r", access="key"), lambda: lint.lint_gcp([], "r", access="impersonation")),
    "K8S001": (lambda: lint.lint_kubernetes([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], "c"),
               lambda: lint.lint_kubernetes([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}], "c")),
    "K8S002": (lambda: lint.lint_kubernetes([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]}], "c"),
               lambda: lint.lint_kubernetes([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["create"]}], "c")),
    "K8S003": (lambda: lint.lint_kubernetes([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], "c", tier="readonly"),
               lambda: lint.lint_kubernetes([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}], "c", tier="readonly")),
    "K8S004": (lambda: lint.lint_kubernetes([], "c", token_expiry="2027-01-01T00:00:00Z"), lambda: lint.lint_kubernetes([], "c")),
}


def test_every_rule_has_fixtures():
    assert set(FIXTURES) == set(lint.RULES)


@pytest.mark.parametrize("rule", sorted(FIXTURES))
def test_rule_fails_and_passes(rule):
    failing, passing = FIXTURES[rule]
    found = [f for f in failing() if f.rule == rule]
    assert found and found[0].severity == lint.RULES[rule][0]
    assert rule in found[0].render() and found[0].location in found[0].render()
    assert [f for f in passing() if f.rule == rule] == []


def test_passrole_with_compute_is_named():
    found = lint.lint_aws_permissions(aws_doc(allow(["iam:PassRole"]), allow(["ec2:RunInstances"])), "p")
    assert any("together with ec2:RunInstances" in f.detail for f in found)


def test_waiver_turns_an_error_into_a_warning_with_its_reason():
    (found,) = [f for f in lint.apply_waivers(FIXTURES["AWS004"][0](), {"AWS004": "break-glass account"}) if f.rule == "AWS004"]
    assert found.severity == "warning" and found.waiver == "break-glass account"
    assert found.render().endswith("(waived: break-glass account)")


# --- in the stack program, plan and diff -------------------------------------------------------------------


@pytest.fixture
def passrole_policy(tmp_path: Path) -> Path:
    path = tmp_path / "passrole.json"
    path.write_text(json.dumps(aws_doc(allow(["iam:PassRole", "ec2:RunInstances"]))))
    return path


def test_custom_document_with_passrole_on_star_is_stopped(link, plan, passrole_policy):
    link.update(tier="custom", policyFile=str(passrole_policy))
    with pytest.raises(LinkConfigError) as raised:
        plan(link)
    assert raised.value.key_path == "linking:link.policyFile"
    assert "AWS006" in str(raised.value) and "iam:PassRole on Resource '*'" in str(raised.value)
    assert "waive it with a reason" in raised.value.expected
    assert plan.registered == []


def test_waived_error_plans_and_is_on_record(link, plan, passrole_policy):
    link.update(tier="custom", policyFile=str(passrole_policy), waivers=[{"rule": "AWS006", "reason": "legacy CI runner, ticket SEC-42"}])
    result = plan(link)
    assert any("AWS006" in w and "(waived: legacy CI runner, ticket SEC-42)" in w for w in result.warnings)
    record = result.outputs["linkRecord"]
    assert record["lint"]["waivers"] == [{"rule": "AWS006", "reason": "legacy CI runner, ticket SEC-42"}]
    assert any("waived" in w for w in record["lint"]["warnings"])


@pytest.mark.parametrize("waiver,key_path", [({"rule": "AWS006"}, "linking:link.waivers[0].reason"),
                                              ({"rule": "AWS006", "reason": "  "}, "linking:link.waivers[0].reason"),
                                              ({"rule": "NOPE", "reason": "x"}, "linking:link.waivers[0].rule")])
def test_waiver_without_a_reason_is_itself_an_error(link, plan, waiver, key_path):
    link["waivers"] = [waiver]
    with pytest.raises(LinkConfigError) as raised:
        plan(link)
    assert raised.value.key_path == key_path


def _plan_dir(tmp_path: Path, name: str, link: dict[str, Any] | None) -> Path:
    root = tmp_path / name
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: platform\nruntime: python\n")
    if link:
        (root / "stacks" / "Pulumi.prod.yaml").write_text(json.dumps({"config": {"linking:link": link}}))
    else:
        (root / "stacks" / "Pulumi.other.yaml").write_text(json.dumps({"config": {"linking:link": {**_base_link(), "id": "other"}}}))
    out = tmp_path / f"{name}.json"
    main(["plan", str(root / "stacks"), "--json", str(out)])
    return out


def _base_link() -> dict[str, Any]:
    return {"id": "acme-prod", "provider": "aws", "tier": "readonly", "owner": "o@example.com",
            "controlPlane": {"aws": {"principalArn": CP}}, "aws": {"accountId": "123456789012"}}


def test_diff_flags_a_lint_violation_as_risky(tmp_path, passrole_policy, capsys):
    base = _plan_dir(tmp_path, "base", _base_link())
    stopped = _plan_dir(tmp_path, "stopped", {**_base_link(), "tier": "custom", "policyFile": str(passrole_policy)})
    diff = diff_plans(load_plan(base), load_plan(stopped))
    assert diff["risky"] and any("AWS006" in f for f in diff["failedStacks"])
    waived = _plan_dir(tmp_path, "waived", {**_base_link(), "tier": "custom", "policyFile": str(passrole_policy),
                                             "waivers": [{"rule": "AWS006", "reason": "ticket SEC-42"}]})
    (entry,) = diff_plans(load_plan(base), load_plan(waived))["links"]
    assert any(r.startswith("new waived lint error: warning: AWS006") for r in entry["risks"])
    assert main(["diff", str(base), str(waived), "--fail-on", "risky"]) == 1


# --- linking check -------------------------------------------------------------------------------------


def test_check_passes_on_every_shipped_document_and_prints_ratios(capsys):
    assert main(["check", str(REPO / "policy_docs")]) == 0
    out = capsys.readouterr().out
    assert "9 documents checked, 0 failed" in out
    for document in ("aws/admin.json", "aws/readonly.json", "azure/admin.json", "gcp/readonly.yaml", "kubernetes/admin.yaml"):
        line = next(line for line in out.splitlines() if document in line)
        assert "privilege ratio" in line and ("all in the catalogue" in line or "not catalogued" in line)
    assert "warning" not in out and "error" not in out  # the shipped tiers need no waiver


def test_check_fails_on_an_unknown_action_and_on_lint_errors(tmp_path, capsys):
    folder = tmp_path / "aws"
    folder.mkdir()
    (folder / "typo.json").write_text(json.dumps(aws_doc(allow(["s3:GetObjects", "ec2:Describe*"]))))
    (folder / "passrole.json").write_text(json.dumps(aws_doc(allow(["iam:PassRole"]))))
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "NOT IN THE CATALOGUE: s3:GetObjects" in out
    assert "error: AWS006" in out and "2 documents checked, 2 failed" in out


def test_check_without_catalogues_uses_the_shipped_snapshots(capsys):
    assert main(["check", str(REPO / "policy_docs" / "aws" / "readonly.json"), str(REPO / "policy_docs" / "gcp" / "readonly.yaml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "aws/readonly.json (aws, readonly)" in lines[0] and "all in the catalogue" in lines[0]
    assert "gcp/readonly.yaml (gcp, readonly)" in lines[1] and "all in the catalogue" in lines[1]
    assert "privilege ratio" in lines[1] and "permissions of roles/owner" in lines[1]


def test_check_with_a_catalogue_folder_that_does_not_exist_is_bad_usage(tmp_path, capsys):
    assert main(["check", str(REPO / "policy_docs"), "--catalogues", str(tmp_path / "missing")]) == 2
    assert "--catalogues" in capsys.readouterr().err


def test_check_with_the_independent_catalogues(shared_catalogues, capsys):
    assert main(["check", str(REPO / "policy_docs"), "--catalogues", str(shared_catalogues)]) == 0
    assert "9 documents checked, 0 failed" in capsys.readouterr().out


def test_check_a_stack_file(capsys):
    assert main(["check", str(REPO / "stacks" / "Pulumi.k8s-example.yaml")]) == 0
    assert "(kubernetes, readonly)" in capsys.readouterr().out


# --- the CrossGuard policy pack ------------------------------------------------------------------------


def violations(resource_type: str, props: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for policy in POLICIES:
        args = ResourceValidationArgs(resource_type, props, f"urn:pulumi:s::p::{resource_type}::r", "r", None, None)
        policy.validate(args, lambda message, urn=None, name=policy.name: found.setdefault(name, []).append(message))
    return found


@pytest.mark.parametrize(
    "resource_type,bad,good,rule",
    [
        ("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps(aws_doc(allow(["iam:PassRole"])))},
         {"policy": json.dumps(aws_doc(allow(["iam:PassRole"], "arn:aws:iam::1:role/w/*")))}, "AWS006"),
        ("aws:iam/policy:Policy", {"policy": json.dumps(aws_doc(allow(["*"])))}, {"policy": json.dumps(aws_doc(allow(["s3:ListAllMyBuckets"])))}, "AWS004"),
        ("aws:iam/role:Role", {"assumeRolePolicy": json.dumps(trust({"AWS": "*"}, EXTERNAL_ID))},
         {"assumeRolePolicy": json.dumps(trust({"AWS": CP}, EXTERNAL_ID))}, "AWS001"),
        ("azure-native:authorization:RoleDefinition", {"permissions": [{"actions": ["*"]}]}, {"permissions": [{"actions": ["*/read"]}]}, "AZ001"),
        ("gcp:projects/iAMCustomRole:IAMCustomRole", {"permissions": ["resourcemanager.projects.setIamPolicy"]}, {"permissions": ["compute.instances.get"]}, "GCP002"),
        ("gcp:projects/iAMMember:IAMMember", {"role": "roles/owner", "member": "user:a@b.c"}, {"role": "roles/browser", "member": "user:a@b.c"}, "GCP001"),
        ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", {"rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
         {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}, "K8S001"),
        ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
         {"metadata": {"labels": {"linking.dev/tier": "readonly"}}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]},
         {"metadata": {"labels": {"linking.dev/tier": "admin"}}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}, "K8S003"),
    ],
)
def test_policy_pack_blocks_unsafe_resources(resource_type, bad, good, rule):
    blocked = violations(resource_type, bad)
    assert any(rule in message for message in blocked.get("linking-least-privilege", []))
    assert violations(resource_type, good).get("linking-least-privilege", []) == []


def test_policy_pack_reports_warnings_as_advisory():
    found = violations("aws:iam/role:Role", {"assumeRolePolicy": json.dumps(trust({"AWS": "arn:aws:iam::111122223333:root"}, EXTERNAL_ID))})
    assert "linking-least-privilege" not in found
    assert any("AWS002" in m for m in found["linking-least-privilege-advisory"])


def test_policy_pack_files_ship_with_the_package():
    folder = REPO / "linking" / "policypack"
    assert "runtime:" in (folder / "PulumiPolicy.yaml").read_text()
    main_text = (folder / "__main__.py").read_text()
    assert "PolicyPack(" in main_text
    assert "PolicyPack(" not in (folder / "validators.py").read_text().replace("PolicyPack import", "")

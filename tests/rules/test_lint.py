"""Guardrails: each lint rule fails and passes on a fixture; waivers; `linking check`; the policy pack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from linking.aws.lint import lint_aws_permissions, lint_aws_settings, lint_aws_trust
from linking.config import AwsClaim, AwsSettings, AzureSettings, GcpSettings
from linking.azure.lint import lint_azure, lint_azure_settings
from linking.config import Waiver
from linking.findings import Finding, apply_waivers
from linking.policy import builtin_document_path, ledgered_reads
from linking.aws.lint import lint_managed_policy
from linking.kubernetes.documents import VERBS
from linking.kubernetes.lint import RESOURCE_LINTERS as K8S_LINTERS
from linking.gcp.lint import lint_gcp, lint_gcp_settings
from linking.kubernetes.lint import lint_kubernetes
from linking.lint import RULES
from linking.cli import main
from linking.review.diff import diff_plans, load_plan
from linking.errors import LinkConfigError

from ..builders import BOUNDARY, CP, EXTERNAL_ID, allow, aws_doc, trust, write_project

OWNED = {"StringEquals": {"aws:ResourceTag/linking:owned-by": "acme"}}
STAMPED = {"StringEquals": {"aws:RequestTag/linking:owned-by": "acme"}}


# rule -> (lint call on a document that breaks it, lint call on one that does not)
FIXTURES: dict[str, tuple[Callable[[], list[Finding]], Callable[[], list[Finding]]]] = {
    "AWS001": (lambda: lint_aws_trust(trust({"AWS": "*"}, EXTERNAL_ID), "t"), lambda: lint_aws_trust(trust({"AWS": CP}, EXTERNAL_ID), "t")),
    "AWS002": (lambda: lint_aws_trust(trust({"AWS": "arn:aws:iam::111122223333:root"}, EXTERNAL_ID), "t"), lambda: lint_aws_trust(trust({"AWS": CP}, EXTERNAL_ID), "t")),
    "AWS003": (lambda: lint_aws_trust(trust({"AWS": CP}), "t"),
               lambda: lint_aws_trust(trust({"Federated": "arn:aws:iam::1:oidc-provider/i"}, {"StringEquals": {"i:sub": "s", "i:aud": "a"}}), "t")),
    "AWS004": (lambda: lint_aws_permissions(aws_doc(allow(["*"])), "p"), lambda: lint_aws_permissions(aws_doc(allow(["s3:ListAllMyBuckets"])), "p")),
    "AWS005": (lambda: lint_aws_permissions(aws_doc({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["*"]}), "p"),
               lambda: lint_aws_permissions(aws_doc({"Effect": "Deny", "NotAction": ["s3:*"], "Resource": ["*"]}), "p")),
    "AWS006": (lambda: lint_aws_permissions(aws_doc(allow(["iam:PassRole"])), "p"),
               lambda: lint_aws_permissions(aws_doc(allow(["iam:CreateRole", "iam:PutRolePolicy"], "arn:aws:iam::1:role/workloads/*", Condition=BOUNDARY),
                                                          allow(["iam:PassRole"], "arn:aws:iam::1:role/workloads/*")), "p")),
    "AWS007": (lambda: lint_aws_permissions(aws_doc(allow(["s3:Get*"])), "p", tier="readonly"),
               lambda: lint_aws_permissions(aws_doc(allow(["route53:List*"]), {"Effect": "Deny", "Action": ["route53:ListTagsForResource*"], "Resource": ["*"]}), "p", tier="readonly")),
    "AZ001": (lambda: lint_azure({"Actions": ["Microsoft.Authorization/*"]}, "r"), lambda: lint_azure({"Actions": ["Microsoft.Compute/*"]}, "r")),
    "AZ002": (lambda: lint_azure({"Actions": ["Microsoft.Authorization/roleAssignments/write"]}, "r"),
              lambda: lint_azure({"Actions": ["Microsoft.Authorization/roleAssignments/write"]}, "r", assignment_condition="(...)")),
    "AZ003": (lambda: lint_azure({"Actions": ["*/read"], "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]}, "r", tier="readonly"),
              lambda: lint_azure({"Actions": ["Microsoft.Network/virtualNetworks/*/read"], "DataActions": []}, "r", tier="readonly")),
    "AZ005": (lambda: lint_azure({"Actions": [], "DataActions": ["*"]}, "r"),
              lambda: lint_azure({"Actions": [], "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]}, "r")),
    "AZ006": (lambda: lint_azure({"Actions": ["Microsoft.Web/sites/*"]}, "r"),
              lambda: lint_azure({"Actions": ["Microsoft.Network/virtualNetworks/*"]}, "r")),
    "AZ007": (lambda: lint_azure({"Actions": ["Microsoft.Compute/virtualMachines/*"]}, "r"),
              lambda: lint_azure({"Actions": ["Microsoft.Compute/virtualMachines/*"], "NotActions": ["*/runCommand/action", "*/runCommands/write", "*/extensions/write",
                                                                                                      "*/diagnosticRunCommands/write"]},
                                 "r", kept=["Microsoft.Compute/virtualMachines/write"])),
    "AZ004": (lambda: lint_azure_settings(AzureSettings("s", "t", scope="subscription"), tier="admin"),
              lambda: lint_azure_settings(AzureSettings("s", "t", resource_groups=("apps",)), tier="admin")),
    "GCP006": (lambda: lint_gcp(["compute.firewallPolicies.move", "storage.buckets.get"], "r", custom_role=True),
               lambda: lint_gcp(["storage.buckets.get"], "r", custom_role=True)),
    "GCP005": (lambda: lint_gcp_settings(GcpSettings("acme-prod-1234", scope="wide"), tier="admin"),
               lambda: lint_gcp_settings(GcpSettings("acme-prod-1234"), tier="admin")),
    "GCP001": (lambda: lint_gcp([], "b", roles=["roles/editor"]), lambda: lint_gcp([], "b", roles=["roles/storage.objectViewer"])),
    "GCP002": (lambda: lint_gcp(["iam.serviceAccounts.signJwt"], "r"), lambda: lint_gcp(["iam.serviceAccounts.get"], "r")),
    "GCP007": (lambda: lint_gcp(["storage.buckets.setIamPolicy"], "r"), lambda: lint_gcp(["storage.buckets.getIamPolicy"], "r")),
    "GCP003": (lambda: lint_gcp(["storage.objects.get"], "r", tier="readonly"), lambda: lint_gcp(["storage.buckets.get"], "r", tier="readonly")),
    "GCP008": (lambda: lint_gcp(["compute.instances.setMetadata"], "r"),
               lambda: lint_gcp(["compute.instances.setMetadata"], "r", kept=["compute.instances.setMetadata"])),
    "GCP009": (lambda: lint_gcp(["iam.serviceAccounts.getAccessToken"], "r", service_account="projects/p/serviceAccounts/a@p"),
               lambda: lint_gcp(["iam.serviceAccounts.get"], "r", service_account="projects/p/serviceAccounts/a@p")),
    "GCP004": (lambda: lint_gcp([], "r", access="key"), lambda: lint_gcp([], "r", access="impersonation")),
    "K8S001": (lambda: lint_kubernetes([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], "c"),
               lambda: lint_kubernetes([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}], "c")),
    "K8S002": (lambda: lint_kubernetes([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]}], "c"),
               lambda: lint_kubernetes([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["create"]}], "c")),
    "K8S003": (lambda: lint_kubernetes([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], "c", tier="readonly"),
               lambda: lint_kubernetes([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}], "c", tier="readonly")),
    "K8S004": (lambda: lint_kubernetes([], "c", token_expiry="2027-01-01T00:00:00Z"), lambda: lint_kubernetes([], "c")),
    "AWS009": (lambda: lint_aws_settings(AwsSettings("123456789012", scope="account"), tier="admin"),
               lambda: lint_aws_settings(AwsSettings("123456789012"), tier="admin")),
    "AWS010": (lambda: lint_aws_permissions(aws_doc(allow(["s3:PutBucketPolicy"])), "p"),
               lambda: lint_aws_permissions(aws_doc(allow(["s3:PutBucketPolicy"], Condition=OWNED)), "p", link_id="acme")),
    "AWS011": (lambda: lint_aws_permissions(aws_doc(allow(["secretsmanager:GetSecretValue"])), "p"),
               lambda: lint_aws_permissions(aws_doc(allow(["secretsmanager:GetSecretValue"], Condition=OWNED)), "p", link_id="acme")),
    "AWS012": (lambda: lint_aws_permissions(aws_doc(allow(["ec2:CreateVolume"])), "p"),
               lambda: lint_aws_permissions(aws_doc(allow(["ec2:CreateVolume"], "arn:aws:ec2:eu-west-1:1:volume/vol-1")), "p")),
    "AWS013": (lambda: lint_aws_permissions(aws_doc(allow(["lambda:TagResource"], Condition=STAMPED)), "p", link_id="acme"),
               lambda: lint_aws_permissions(aws_doc(allow(["lambda:TagResource"], Condition=OWNED)), "p", link_id="acme")),
    "AWS014": (lambda: lint_aws_settings(AwsSettings("123456789012", allow_claims=(AwsClaim("kms", "adopts the data team's keys"),)), tier="admin"),
               lambda: lint_aws_settings(AwsSettings("123456789012"), tier="admin")),
    "LEDGER001": (lambda: ledgered_reads(builtin_document_path("azure", "readonly")),
                  lambda: ledgered_reads(builtin_document_path("kubernetes", "readonly"))),
    "AWS008": (lambda: lint_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess", "r"),
               lambda: lint_managed_policy("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "r")),
    "K8S010": (lambda: K8S_LINTERS["kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"](
                   {"roleRef": {"name": "view"}, "subjects": [{"kind": "Group", "name": "system:authenticated"}]}, "b", None),
               lambda: K8S_LINTERS["kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"](
                   {"roleRef": {"name": "view"}, "subjects": [{"kind": "Group", "name": "platform"}]}, "b", None)),
    "K8S005": (lambda: lint_kubernetes([{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}], "c"),
               lambda: lint_kubernetes([{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["create"]}], "c")),
    "K8S006": (lambda: lint_kubernetes([], "c", cluster_wide_writes=True), lambda: lint_kubernetes([], "c")),
    "K8S007": (lambda: lint_kubernetes([], "c", unfenced_reason="cluster runs 1.29"), lambda: lint_kubernetes([], "c")),
    "K8S008": (lambda: lint_kubernetes([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}], "c", tier="custom"),
               lambda: lint_kubernetes([{"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}], "c", tier="custom")),
    "K8S009": (lambda: lint_kubernetes([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}], "c", tier="custom"),
               lambda: lint_kubernetes([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}], "c", tier="custom")),
    "K8S013": (lambda: lint_kubernetes([], "c", pod_security_reason="legacy agent needs root"), lambda: lint_kubernetes([], "c")),
    "K8S012": (lambda: K8S_LINTERS["kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"](
                   {"aggregationRule": {"clusterRoleSelectors": [{}]}}, "r", None),
               lambda: K8S_LINTERS["kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"](
                   {"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"acme.example/part-of": "deployer"}}]}}, "r", None)),
    "K8S011": (lambda: lint_kubernetes([{"nonResourceURLs": ["*"], "verbs": ["get"]}], "c", tier="custom"),
               lambda: lint_kubernetes([{"nonResourceURLs": ["/healthz", "/version"], "verbs": ["get"]}], "c", tier="custom")),
}


CUSTOM_TIER_ATTACKS = {
    "every verb spelled out on every resource": ({"apiGroups": ["*"], "resources": ["*"], "verbs": list(VERBS)}, "K8S001"),
    "every verb on every core resource": ({"apiGroups": [""], "resources": ["*"], "verbs": ["*"]}, "K8S001"),
    "token request": ({"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}, "K8S005"),
    "token request through a wildcard": ({"apiGroups": [""], "resources": ["*"], "verbs": ["create"]}, "K8S005"),
    "subresource wildcard": ({"apiGroups": [""], "resources": ["*/token"], "verbs": ["create"]}, "K8S005"),
    "node proxy": ({"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}, "K8S005"),
    "ephemeral containers": ({"apiGroups": [""], "resources": ["pods/ephemeralcontainers"], "verbs": ["patch"]}, "K8S005"),
    "CSR approval": ({"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["update"]}, "K8S005"),
    "signer approval": ({"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "verbs": ["approve"]}, "K8S005"),
    "mutating webhooks": ({"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"], "verbs": ["create"]}, "K8S005"),
    "the fence itself": ({"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingadmissionpolicybindings"], "verbs": ["delete"]}, "K8S005"),
    "mutating admission policies": ({"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingadmissionpolicies"], "verbs": ["create"]}, "K8S005"),
    "mutating admission policy bindings": ({"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingadmissionpolicybindings"], "verbs": ["update"]}, "K8S005"),
    "persistent volumes": ({"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["create"]}, "K8S005"),
    "namespace labels": ({"apiGroups": [""], "resources": ["namespaces"], "verbs": ["patch"]}, "K8S005"),
    "escalate through a group wildcard": ({"apiGroups": ["*"], "resources": ["clusterroles"], "verbs": ["escalate"]}, "K8S002"),
    "impersonate": ({"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}, "K8S002"),
    "exec": ({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}, "K8S008"),
    "every verb on secrets": ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}, "K8S009"),
    "every non-resource URL": ({"nonResourceURLs": ["*"], "verbs": ["*"]}, "K8S011"),
}


@pytest.mark.parametrize("attack", sorted(CUSTOM_TIER_ATTACKS))
def test_an_escalation_in_a_custom_tier_is_an_error_not_a_warning(attack):
    """A reviewer skims warnings: an escalation, credential or data path needs an explicit waiver with a reason."""
    rule, expected = CUSTOM_TIER_ATTACKS[attack]
    assert any(f.rule == expected and f.severity == "error" for f in lint_kubernetes([rule], "custom.yaml", tier="custom"))


@pytest.mark.parametrize("attack", sorted(CUSTOM_TIER_ATTACKS))
def test_a_custom_tier_attack_is_found(attack):
    rule, expected = CUSTOM_TIER_ATTACKS[attack]
    found = [f for f in lint_kubernetes([rule], "custom.yaml", tier="custom") if f.rule == expected]
    assert found and found[0].location == "custom.yaml rules[0]" and "[class: " in found[0].detail


def test_every_rule_has_fixtures():
    assert set(FIXTURES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(FIXTURES))
def test_rule_fails_and_passes(rule):
    failing, passing = FIXTURES[rule]
    found = [f for f in failing() if f.rule == rule]
    assert found and found[0].severity == RULES[rule].severity
    assert rule in found[0].render() and found[0].location in found[0].render()
    assert [f for f in passing() if f.rule == rule] == []


def test_passrole_with_compute_is_named_by_its_escalation_method():
    found = lint_aws_permissions(aws_doc(allow(["iam:PassRole"]), allow(["ec2:RunInstances"])), "p")
    assert any(f.detail.startswith("CreateEC2WithExistingIP: iam:passrole, ec2:runinstances") for f in found)


def test_waiver_turns_an_error_into_a_warning_with_its_reason():
    (found,) = [f for f in apply_waivers(FIXTURES["AWS004"][0](), [Waiver("AWS004", "'*'", "break-glass account")]) if f.rule == "AWS004"]
    assert found.severity == "warning" and found.waiver == "break-glass account"
    assert found.render().endswith("(waived: break-glass account)")


def test_a_waiver_covers_the_grant_it_names_and_no_other():
    """A waiver for one escalation must not silently cover the next one of the same rule."""
    findings = lint_aws_permissions(aws_doc(allow(["iam:PassRole"]), allow(["ssm:SendCommand"])), "p")
    waived = apply_waivers(findings, [Waiver("AWS006", "iam:PassRole", "legacy CI runner, SEC-42")])
    assert {f.detail.split(" ")[0] for f in waived if f.rule == "AWS006" and f.severity == "warning"} == {"iam:PassRole"}
    assert any(f.rule == "AWS006" and f.severity == "error" and "ssm:sendcommand" in f.detail for f in waived)
    assert all(f.severity == "error" for f in apply_waivers(findings, [Waiver("AWS006", "iam:Pass", "a prefix is no grant")])
               if f.rule == "AWS006")


# --- in the stack program, plan and diff -------------------------------------------------------------------


@pytest.fixture
def passrole_policy(tmp_path: Path) -> Path:
    path = tmp_path / "passrole.json"
    path.write_text(json.dumps(aws_doc(allow(["iam:PassRole", "ec2:RunInstances"]))))
    return path


def test_custom_document_with_passrole_on_star_is_stopped(link, plan, passrole_policy):
    link.update(tier="custom", policyFile=passrole_policy.name)
    with pytest.raises(LinkConfigError) as raised:
        plan(link)
    assert raised.value.key_path == "linking:link.policyFile"
    assert "AWS006" in str(raised.value) and "iam:PassRole on '*' to any service" in str(raised.value)
    assert "waive it with a reason" in raised.value.expected
    assert plan.registered == []


def test_waived_error_plans_and_is_on_record(link, plan, passrole_policy):
    waivers = [{"rule": "AWS006", "grant": grant, "reason": "legacy CI runner, ticket SEC-42"}
               for grant in ("iam:PassRole", "iam:passrole")]  # the method's finding names it in lower case
    link.update(tier="custom", policyFile=passrole_policy.name, waivers=waivers[:1])
    result = plan(link)
    assert any("AWS006" in w and "(waived: legacy CI runner, ticket SEC-42)" in w for w in result.warnings)
    record = result.outputs["linkRecord"]
    assert record["lint"]["waivers"] == waivers[:1]
    assert any("waived" in w for w in record["lint"]["warnings"])


@pytest.mark.parametrize("waiver,key_path", [({"rule": "AWS006", "grant": "iam:PassRole"}, "linking:link.waivers[0].reason"),
                                              ({"rule": "AWS006", "grant": "iam:PassRole", "reason": "  "}, "linking:link.waivers[0].reason"),
                                              ({"rule": "AWS006", "reason": "legacy CI runner"}, "linking:link.waivers[0].grant"),
                                              ({"rule": "NOPE", "grant": "x", "reason": "x"}, "linking:link.waivers[0].rule")])
def test_waiver_without_a_reason_is_itself_an_error(link, plan, waiver, key_path):
    link["waivers"] = [waiver]
    with pytest.raises(LinkConfigError) as raised:
        plan(link)
    assert raised.value.key_path == key_path


def _plan_dir(tmp_path: Path, name: str, link: dict[str, Any] | None) -> Path:
    root = tmp_path / name
    (root / "stacks").mkdir(parents=True)
    write_project(root, "platform")
    (root / "passrole.json").write_text(json.dumps(aws_doc(allow(["iam:PassRole", "ec2:RunInstances"]))))
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


def test_diff_flags_a_lint_violation_as_risky(tmp_path, capsys):
    base = _plan_dir(tmp_path, "base", _base_link())
    stopped = _plan_dir(tmp_path, "stopped", {**_base_link(), "tier": "custom", "policyFile": "passrole.json"})
    diff = diff_plans(load_plan(base), load_plan(stopped))
    assert diff["risky"] and any("AWS006" in f for f in diff["failedStacks"])
    waived = _plan_dir(tmp_path, "waived", {**_base_link(), "tier": "custom", "policyFile": "passrole.json",
                                             "waivers": [{"rule": "AWS006", "grant": "iam:PassRole", "reason": "ticket SEC-42"}]})
    (entry,) = diff_plans(load_plan(base), load_plan(waived))["links"]
    assert any(r.startswith("new waived lint error: warning: AWS006") for r in entry["risks"])
    assert "waiver added: AWS006 on iam:PassRole (ticket SEC-42)" in entry["risks"]
    widened = _plan_dir(tmp_path, "widened", {**_base_link(), "tier": "custom", "policyFile": "passrole.json",
                                               "waivers": [{"rule": "AWS006", "grant": "iam:PassRole", "reason": "ticket SEC-42"},
                                                           {"rule": "AWS006", "grant": "ec2:RunInstances", "reason": "ticket SEC-43"}]})
    (entry,) = diff_plans(load_plan(waived), load_plan(widened))["links"]
    assert entry["risks"][0] == "waiver added: AWS006 on ec2:RunInstances (ticket SEC-43)"
    assert main(["diff", str(base), str(waived), "--fail-on", "risky"]) == 1

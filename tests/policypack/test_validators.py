"""The CrossGuard policy pack: each cloud's lint on the resource types that grant access."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs

from linking.policypack.validators import POLICIES

from ..conftest import REPO
from ..builders import CP, EXTERNAL_ID, allow, aws_doc, trust



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

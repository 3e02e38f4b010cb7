"""The CrossGuard policy pack: each cloud's lint on the resource types that grant access."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs

from linking.policypack.validators import POLICIES

from ..conftest import REPO
from ..builders import CP, EXTERNAL_ID, allow, aws_doc, pack_messages, trust



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
         {"policy": json.dumps(aws_doc(allow(["iam:PassRole"], "arn:aws:iam::1:role/workloads/*")))}, "AWS006"),
        ("aws:iam/policy:Policy", {"policy": json.dumps(aws_doc(allow(["*"])))}, {"policy": json.dumps(aws_doc(allow(["s3:ListAllMyBuckets"])))}, "AWS004"),
        ("aws:iam/role:Role", {"assumeRolePolicy": json.dumps(trust({"AWS": "*"}, EXTERNAL_ID))},
         {"assumeRolePolicy": json.dumps(trust({"AWS": CP}, EXTERNAL_ID))}, "AWS001"),
        ("azure-native:authorization:RoleDefinition", {"permissions": [{"actions": ["*"]}]}, {"permissions": [{"actions": ["Microsoft.Network/virtualNetworks/read"]}]}, "AZ001"),
        # Reader (*/read) reads logs, deployment outputs and keys that GETs return; Front Door Domain Contributor does not
        ("azure-native:authorization:RoleAssignment",
         {"roleDefinitionId": "/s/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", "principalId": "p"},
         {"roleDefinitionId": "/s/providers/Microsoft.Authorization/roleDefinitions/0ab34830-df19-4f8c-b84e-aa85b8afa6e8", "principalId": "p"}, "AZ006"),
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


ADMIN = json.dumps(aws_doc(allow(["*"])))
READONLY_TAGS = {"tags": {"linking:tier": "readonly"}}


@pytest.mark.parametrize(("resource_type", "props", "rule"), [
    ("aws:iam/role:Role", {"assumeRolePolicy": json.dumps(trust({"AWS": CP}, EXTERNAL_ID)), "inlinePolicies": [{"name": "x", "policy": ADMIN}]}, "AWS004"),
    ("aws:iam/role:Role", {"assumeRolePolicy": json.dumps(trust({"AWS": CP}, EXTERNAL_ID)),
                           "managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}, "AWS008"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}, "AWS006"),
    ("aws:iam/userPolicy:UserPolicy", {"user": "u", "policy": ADMIN}, "AWS004"),
    ("aws:iam/groupPolicy:GroupPolicy", {"group": "g", "policy": ADMIN}, "AWS004"),
    ("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"user": "u", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}, "AWS006"),
    ("aws:iam/rolePolicy:RolePolicy", {**READONLY_TAGS, "policy": json.dumps(aws_doc(allow(["s3:GetObject"])))}, "AWS007"),
    ("gcp:projects/iAMBinding:IAMBinding", {"role": "roles/owner", "members": ["user:a@b.c"]}, "GCP001"),
    ("gcp:projects/iAMPolicy:IAMPolicy", {"policyData": json.dumps({"bindings": [{"role": "roles/editor", "members": ["user:a@b.c"]}]})}, "GCP001"),
    ("gcp:projects/iAMMember:IAMMember", {"role": "roles/resourcemanager.projectIamAdmin", "member": "user:a@b.c"}, "GCP002"),
    ("gcp:storage/bucketIAMMember:BucketIAMMember", {"role": "roles/owner", "member": "user:a@b.c", "bucket": "b"}, "GCP001"),
    ("azure-native:authorization:RoleAssignment", {"roleDefinitionId": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"
                                                   "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "principalId": "p", "scope": "/subscriptions/s"}, "AZ001"),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
     {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
      "subjects": [{"kind": "Group", "name": "system:authenticated"}]}, "K8S010"),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
     {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
      "subjects": [{"kind": "User", "name": "ops@acme.example"}]}, "K8S001"),
    ("kubernetes:rbac.authorization.k8s.io/v1:Role", {"rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}, "K8S001"),
])
def test_every_resource_type_that_grants_access_is_checked(resource_type, props, rule):
    found = violations(resource_type, props)
    assert any(rule in message for message in found.get("linking-least-privilege", [])), found


@pytest.mark.parametrize(("resource_type", "props"), [
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonRoute53ReadOnlyAccess"}),
    ("gcp:projects/iAMBinding:IAMBinding", {"role": "roles/browser", "members": ["user:a@b.c"]}),
    ("azure-native:authorization:RoleAssignment", {"roleDefinitionId": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"
                                                   "0ab34830-df19-4f8c-b84e-aa85b8afa6e8", "principalId": "p", "scope": "/subscriptions/s"}),
    ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
     {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
      "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "shop"}]}),
])
def test_a_narrow_grant_passes_the_pack(resource_type, props):
    assert "linking-least-privilege" not in violations(resource_type, props)


@pytest.mark.parametrize("resource_type", [
    "gcp:organizations/iAMBinding:IAMBinding", "gcp:organizations/iAMPolicy:IAMPolicy", "gcp:folder/iAMBinding:IAMBinding",
    "gcp:folder/iAMPolicy:IAMPolicy", "gcp:projects/iAMBinding:IAMBinding", "gcp:storage/bucketIAMBinding:BucketIAMBinding",
    "gcp:secretmanager/secretIamMember:SecretIamMember", "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
])
def test_every_gcp_binding_type_is_judged_by_the_role_it_binds(resource_type):
    binding = {"role": "roles/owner", "members": ["user:someone@example.com"]}
    props = {"policyData": json.dumps({"bindings": [binding]})} if resource_type.endswith("Policy") else {**binding, "member": "user:a@b.c"}
    assert any("GCP001" in m for m in pack_messages(resource_type, props, mandatory_only=True))


@pytest.mark.parametrize(("selector", "stopped"), [
    ({}, True),                                                                    # every ClusterRole
    ({"matchLabels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}, True),     # the default roles
    ({"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}, True),
    ({"matchExpressions": [{"key": "team", "operator": "Exists"}]}, True),
    ({"matchLabels": {"acme.example/aggregate-to-deployer": "true"}}, False),       # labels of the program's own
])
def test_an_aggregated_cluster_role_is_judged_by_what_it_can_select(selector, stopped):
    props = {"aggregationRule": {"clusterRoleSelectors": [selector]}, "rules": []}
    found = pack_messages("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", props, mandatory_only=True)
    assert any("K8S012" in m for m in found) is stopped


def test_a_role_aggregated_into_view_is_judged_as_readonly():
    """Everyone bound to the default view role would gain its rules: Secrets there are a data read."""
    props = {"metadata": {"labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
             "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]}
    assert any("K8S003" in m for m in pack_messages("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", props, mandatory_only=True))

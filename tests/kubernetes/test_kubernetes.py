"""KubernetesClusterLink: tier ClusterRoles, bindings, the token kubeconfig, manifests valid for a real API server."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from linking.canonical import canonical_json
from linking.kubernetes import render_cluster_role
from linking.plan.stackfile import plan_stack_file
from linking.planned import Secret
from linking.policy import builtin_document_path
from linking.validation import load_schema

from ..conftest import REPO

NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SECRET = "kubernetes:core/v1:Secret"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CLUSTER_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
PROVIDER = "pulumi:providers:kubernetes"
CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()

BASE: dict[str, Any] = {
    "id": "acme-prod",
    "provider": "kubernetes",
    "tier": "readonly",
    "owner": "platform@acme.example",
    "kubernetes": {"server": "https://k8s.acme.example:6443", "caData": CA},
}


@pytest.fixture
def k8s_link() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def rules(tier: str) -> list[dict[str, Any]]:
    return render_cluster_role(builtin_document_path("kubernetes", tier), "acme-prod", "k").document["rules"]


def grants(rule_list: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(apiGroup, resource, verb) triples."""
    return {(g, r, v) for rule in rule_list for g in rule.get("apiGroups", []) for r in rule.get("resources", []) for v in rule["verbs"]}


@pytest.mark.parametrize("tier", ["admin", "admin-cluster", "readonly"])
def test_cluster_roles_match_golden(tier, golden):
    golden(f"kubernetes/{tier}.json", canonical_json(rules(tier), pretty=True))


def test_readonly_grants_nothing_on_secrets_exec_or_logs():
    triples = grants(rules("readonly"))
    resources = {r for _, r, _ in triples}
    assert resources.isdisjoint({"secrets", "configmaps", "pods/exec", "pods/attach", "pods/portforward", "pods/log", "*"})
    assert {v for _, _, v in triples} <= {"get", "list", "watch"}


def test_admin_has_no_wildcards_or_escalation_verbs():
    triples = grants(rules("admin"))
    assert not any("*" in part for triple in triples for part in triple)
    assert {v for _, _, v in triples}.isdisjoint({"escalate", "bind", "impersonate"})
    assert not {r for _, r, _ in triples} & {"pods/exec", "pods/attach", "pods/portforward"}
    assert ("apps", "deployments", "create") in triples and ("rbac.authorization.k8s.io", "rolebindings", "create") in triples


def manifests(result) -> list[dict[str, Any]]:
    """The Kubernetes objects as the provider would send them: the recorded inputs, without Pulumi's own keys."""
    objects = []
    for resource in result.resources:
        if resource.type.startswith("kubernetes:"):
            objects.append({k: v for k, v in resource.inputs.items() if not k.startswith("__")})
    return objects


@pytest.mark.parametrize("tier", ["admin", "readonly"])
@pytest.mark.parametrize("variant", ["token", "oidc-namespaced"])
def test_manifests_validate_against_the_kubernetes_openapi_schemas(k8s_link, plan, tier, variant):
    k8s_link["tier"] = tier
    if tier == "admin":
        k8s_link["kubernetes"].update(namespaces=["team-a"], createNamespaces=True, customResourceGroups=["acme.example"])
    if variant == "oidc-namespaced":
        k8s_link["kubernetes"].update(credential="none", namespaces=["team-a", "team-b"])
        k8s_link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", "subject": "cp", "group": "platform"}}
    objects = manifests(plan(k8s_link))
    assert {o["kind"] for o in objects} >= {"Namespace", "ServiceAccount", "ClusterRole"}
    if tier == "admin":
        assert {o["kind"] for o in objects} >= {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "RoleBinding"}
    version = kubernetes_validate.latest_version()
    for manifest in objects:
        kubernetes_validate.validate(manifest, version, strict=True)


def test_token_link_outputs_a_secret_kubeconfig(k8s_link, plan):
    result = plan(k8s_link)
    secrets = result.outputs["linkSecrets"]
    assert isinstance(secrets, Secret)
    config = yaml.safe_load(secrets.value["kubeconfig"])
    assert [c["name"] for c in config["clusters"]] == ["acme-prod"]
    assert config["clusters"][0]["cluster"] == {"server": "https://k8s.acme.example:6443", "certificate-authority-data": CA}
    assert config["users"] == [{"name": "linking-acme-prod", "user": {"token": "[secret]"}}]
    assert config["contexts"] == [{"name": "linking-acme-prod", "context": {"cluster": "acme-prod", "user": "linking-acme-prod", "namespace": "linking"}}]
    assert config["current-context"] == "linking-acme-prod"
    token_secret = result.one(SECRET)
    assert token_secret.inputs["type"] == "kubernetes.io/service-account-token"
    assert token_secret.inputs["metadata"]["annotations"]["kubernetes.io/service-account.name"] == "linking-acme-prod"
    binding = result.one(CLUSTER_BINDING)
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "linking-acme-prod", "namespace": "linking"}]
    assert binding.inputs["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "linking-acme-prod-readonly"}
    record = result.outputs["linkRecord"]
    jsonschema.validate(record, load_schema("link-record.schema.json"))
    assert "[secret]" not in str(record)


def test_ca_comes_from_the_token_secret_when_not_configured(k8s_link, plan):
    del k8s_link["kubernetes"]["caData"]
    config = yaml.safe_load(plan(k8s_link).outputs["linkSecrets"].value["kubeconfig"])
    assert config["clusters"][0]["cluster"]["certificate-authority-data"] == base64.b64encode(b"[cluster CA]").decode()


def test_server_comes_from_the_configured_kubeconfig_and_stays_out_of_the_record(k8s_link, plan):
    del k8s_link["kubernetes"]["server"]
    k8s_link["kubernetes"]["kubeconfig"] = yaml.safe_dump({
        "clusters": [{"name": "prod", "cluster": {"server": "https://prod.example:443"}}],
        "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "admin"}}],
        "current-context": "prod",
    })
    result = plan(k8s_link)
    output = yaml.safe_load(result.outputs["linkSecrets"].value["kubeconfig"])
    assert output["clusters"][0]["cluster"]["server"] == "https://prod.example:443"
    assert result.outputs["linkRecord"]["target"]["server"] is None  # the kubeconfig is a secret; the record is public
    assert isinstance(result.one(PROVIDER).inputs["kubeconfig"], Secret)


def test_every_object_carries_provenance_labels(k8s_link, plan):
    for manifest in manifests(plan(k8s_link)):
        labels = manifest["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "pulumi"
        assert labels["linking.dev/link-id"] == "acme-prod" and labels["linking.dev/tier"] == "readonly"
        assert manifest["metadata"]["annotations"]["linking.dev/owner"] == "platform@acme.example"


def test_credential_none_binds_the_oidc_user_and_group(k8s_link, plan):
    k8s_link["kubernetes"]["credential"] = "none"
    k8s_link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", "subject": "oidc:control-plane", "group": "oidc:platform"}}
    result = plan(k8s_link)
    assert result.by_type(SECRET) == []
    assert "linkSecrets" not in result.outputs
    assert result.one(CLUSTER_BINDING).inputs["subjects"] == [
        {"kind": "User", "name": "oidc:control-plane", "apiGroup": "rbac.authorization.k8s.io"},
        {"kind": "Group", "name": "oidc:platform", "apiGroup": "rbac.authorization.k8s.io"},
    ]
    jsonschema.validate(result.outputs["linkRecord"], load_schema("link-record.schema.json"))


def test_namespaces_list_grants_through_role_bindings_only(k8s_link, plan):
    k8s_link["kubernetes"]["namespaces"] = ["team-a", "team-b"]
    result = plan(k8s_link)
    assert result.by_type(CLUSTER_BINDING) == []
    assert sorted(b.inputs["metadata"]["namespace"] for b in result.by_type(ROLE_BINDING)) == ["team-a", "team-b"]


def test_disabled_link_removes_binding_and_token_keeps_account_and_role(k8s_link, plan):
    enabled = plan(k8s_link)
    k8s_link["enabled"] = False
    disabled = plan(k8s_link)
    assert disabled.by_type(CLUSTER_BINDING) == [] and disabled.by_type(SECRET) == []
    assert disabled.one(SERVICE_ACCOUNT).urn == enabled.one(SERVICE_ACCOUNT).urn
    assert disabled.one(CLUSTER_ROLE).urn == enabled.one(CLUSTER_ROLE).urn
    assert "linkSecrets" not in disabled.outputs


def test_existing_namespace_is_not_managed(k8s_link, plan):
    k8s_link["kubernetes"]["createNamespace"] = False
    assert plan(k8s_link).by_type(NAMESPACE) == []


def test_plan_warns_that_a_token_does_not_expire(k8s_link, plan):
    k8s_link["expiresAt"] = "2027-06-30T00:00:00Z"
    result = plan(k8s_link)
    assert any("does not expire" in w and "2027-06-30T00:00:00Z" in w for w in result.warnings)
    assert result.outputs["linkRecord"]["expiryEnforcement"].startswith("not enforced")
    k8s_link["kubernetes"]["credential"] = "none"
    k8s_link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", "group": "platform"}}
    assert plan(k8s_link).warnings == []


def _custom(tmp_path: Path, document: Any) -> str:
    path = tmp_path / "role.yaml"
    path.write_text(yaml.safe_dump(document))
    return path.name


ROLE_DOC = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}

BAD = [
    ("namespace not DNS-1123", lambda l, t: l["kubernetes"].update(namespace="Linking_NS"), "linking:link.kubernetes.namespace", "DNS-1123"),
    ("listed namespace not DNS-1123", lambda l, t: l["kubernetes"].update(namespaces=["ok", "-bad"]), "linking:link.kubernetes.namespaces[1]", "DNS-1123"),
    ("credential unknown", lambda l, t: l["kubernetes"].update(credential="client-cert"), "linking:link.kubernetes.credential", "token"),
    ("none without subject or group", lambda l, t: (l["kubernetes"].update(credential="none"), l.update(controlPlane={"oidc": {"issuer": "https://i.example"}})),
     "linking:link.controlPlane.oidc", "subject or group"),
    ("none without oidc", lambda l, t: l["kubernetes"].update(credential="none"), "linking:link.controlPlane.oidc", "subject or group"),
    ("server not https", lambda l, t: l["kubernetes"].update(server="http://k8s.example"), "linking:link.kubernetes.server", "https://"),
    ("CA not base64", lambda l, t: l["kubernetes"].update(caData="not base64!"), "linking:link.kubernetes.caData", "base64-encoded PEM"),
    ("CA base64 but not PEM", lambda l, t: l["kubernetes"].update(caData=base64.b64encode(b"hello").decode()), "linking:link.kubernetes.caData", "PEM"),
    ("custom document is a Role", lambda l, t: l.update(tier="custom", policyFile=_custom(t, {**ROLE_DOC, "kind": "Role"})),
     "linking:link.policyFile.kind", "ClusterRole"),
    ("custom document with an unknown verb", lambda l, t: l.update(tier="custom", policyFile=_custom(t, {**ROLE_DOC, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "read"]}]})),
     "linking:link.policyFile.rules[0].verbs[1]", "a Kubernetes verb"),
    ("custom document with no rules", lambda l, t: l.update(tier="custom", policyFile=_custom(t, {**ROLE_DOC, "rules": []})),
     "linking:link.policyFile.rules", "non-empty"),
]


@pytest.mark.parametrize("case,mutate,key_path,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_input_stops_before_any_resource(k8s_link, plan, tmp_path, case, mutate, key_path, expected):
    mutate(k8s_link, tmp_path)
    plan.expect_error(k8s_link, key_path, expected)


def test_example_stack_plans():
    result = plan_stack_file(REPO / "stacks" / "Pulumi.k8s-example.yaml")
    assert {r.type for r in result.resources} >= {NAMESPACE, SERVICE_ACCOUNT, CLUSTER_ROLE, CLUSTER_BINDING, SECRET}
    assert isinstance(result.outputs["linkSecrets"], Secret)

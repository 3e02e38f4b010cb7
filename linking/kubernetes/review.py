"""Kubernetes in the review: ClusterRole rules as grants where they are bound, subjects and tokens as trust."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..planned import PlannedResource

if TYPE_CHECKING:
    from ..review.per_provider import Extracted

REVIEWED_INPUTS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:ServiceAccount": ("metadata",),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": ("rules",),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef", "subjects"),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef", "subjects"),
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": ("spec",),
}
"""Inputs that say who gets which access: printed in full for review."""
_RBAC_WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "bind", "escalate", "*"}


def kubernetes_rule_grants(rules: list[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    """(apiGroup, resource, verb) triples; non-resource URLs as (``url``, path, verb)."""
    grants = []
    for rule in rules:
        for verb in rule.get("verbs", []):
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    grants.append({"apiGroup": group, "resource": resource, "verb": verb, "scope": scope})
            for url in rule.get("nonResourceURLs", []):
                grants.append({"apiGroup": "url", "resource": url, "verb": verb, "scope": scope})
    return grants


def extract(resources: list[PlannedResource]) -> "Extracted":
    """The resources of one link or workload -> (grants, trust, conditions)."""
    cluster_roles = {r.inputs["metadata"]["name"]: r for r in resources if r.type == "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"}
    grants: list[dict[str, Any]] = []
    trust: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    for resource in resources:
        if resource.type in ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"):
            scope = resource.inputs["metadata"].get("namespace", "cluster")
            role = cluster_roles.get(resource.inputs["roleRef"]["name"])
            if role is not None:
                grants += kubernetes_rule_grants(role.inputs["rules"], scope)
            for subject in resource.inputs.get("subjects", []):
                trust.append({"kind": subject["kind"], "name": subject["name"], "namespace": subject.get("namespace", ""), "scope": scope})
        elif resource.type == "kubernetes:core/v1:Secret" and resource.inputs.get("type") == "kubernetes.io/service-account-token":
            trust.append({"kind": "token", "name": resource.inputs["metadata"]["name"], "namespace": resource.inputs["metadata"].get("namespace", ""), "scope": ""})
        elif resource.type == "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy":
            on = f"admission fence {resource.inputs['metadata']['name']}"
            conditions += [{"on": on, "expression": v["expression"]} for v in resource.inputs["spec"]["validations"]]
    return grants, trust, conditions


def grant_text(grant: dict[str, Any]) -> str:
    return f"{grant['verb']} {grant['apiGroup'] or 'core'}/{grant['resource']} in {grant['scope']}"


def grant_group(grant: dict[str, Any]) -> str:
    return f"{grant['apiGroup'] or 'core'} in {grant['scope']}"


def grant_risks(grant: dict[str, Any]) -> list[str]:
    """Why a newly granted entry needs a second reviewer (empty when it does not)."""
    risks = []
    if "*" in (grant["verb"], grant["resource"], grant["apiGroup"]):
        risks.append(f"new wildcard: {grant['verb']} {grant['apiGroup'] or 'core'}/{grant['resource']}")
    if grant["apiGroup"] == "rbac.authorization.k8s.io" and grant["verb"] in _RBAC_WRITE_VERBS:
        risks.append(f"new RBAC write: {grant['verb']} {grant['resource']}")
    if grant["verb"] in ("impersonate", "escalate", "bind"):
        risks.append(f"new {grant['verb']}")
    if grant["scope"] == "cluster" and grant["verb"] in _RBAC_WRITE_VERBS:
        risks.append(f"new cluster-wide write: {grant['verb']} {grant['apiGroup'] or 'core'}/{grant['resource']}")
    return risks


def revision_risks(added: list[dict[str, Any]], removed: list[dict[str, Any]]) -> list[str]:
    """None: this cloud's grants hold no deny or exclusion entries, so every widening is a new grant."""
    return []


def effective_risks(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> list[str]:
    """None: this cloud's grants name no wildcards to expand beyond what `grant_risks` sees of each."""
    return []


def fleet_risks(entry: dict[str, Any], fleet: list[dict[str, Any]]) -> list[str]:
    """None: this cloud's links never share names with another link of the same target."""
    return []

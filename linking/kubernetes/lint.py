"""Kubernetes lint rules: RBAC rules and credentials."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from ..canonical import as_list
from ..findings import ERROR, WARNING, Finding, finding

RULES = {
    "K8S001": (ERROR, "every verb on every resource"),
    "K8S002": (WARNING, "escalate, bind or impersonate"),
    "K8S003": (ERROR, "readonly tier reads Secrets or opens pods (exec, attach, portforward)"),
    "K8S004": (WARNING, "a static token cannot honour expiresAt"),
}

READONLY_FORBIDDEN = ("secrets", "pods/exec", "pods/attach", "pods/portforward")


def lint_kubernetes(rules: Iterable[Mapping[str, Any]], source: str, *, tier: Optional[str] = None,
                    token_expiry: Optional[str] = None) -> list[Finding]:
    findings = []
    for index, rule in enumerate(rules):
        location = f"{source} rules[{index}]"
        verbs, resources = as_list(rule.get("verbs")), as_list(rule.get("resources"))
        if "*" in verbs and "*" in resources:
            findings.append(finding(RULES, "K8S001", location, "verbs ['*'] on resources ['*']"))
        for verb in ("escalate", "bind", "impersonate"):
            if verb in verbs or ("*" in verbs and rule.get("apiGroups") in (["*"], ["rbac.authorization.k8s.io"])):
                findings.append(finding(RULES, "K8S002", location, verb))
        if tier == "readonly":
            for resource in READONLY_FORBIDDEN:
                if resource in resources or "*" in resources:
                    findings.append(finding(RULES, "K8S003", location, resource))
    if token_expiry:
        findings.append(finding(
            RULES, "K8S004", source,
            f"a service-account token does not expire, so Kubernetes will not end this access at {token_expiry}; "
            "use enabled: false (or credential none) to end it",
        ))
    return findings


def _lint_cluster_role(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    return lint_kubernetes(props.get("rules") or [], f"{name} rules", tier=tier)


RESOURCE_LINTERS = {"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": _lint_cluster_role}
"""Resource type -> lint of its properties, for the policy pack."""

"""Kubernetes lint rules: RBAC rules, where they are bound, and credentials.

The escalation paths are Kubernetes' own list, "Role Based Access Control Good Practices", section "Kubernetes
RBAC - privilege escalation risks" (https://kubernetes.io/docs/concepts/security/rbac-good-practices/), each
section with the (apiGroup, resource, verbs) it names; two more are this project's (marked so).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from ..canonical import as_list
from ..findings import Finding, finding, load_rules
from .documents import BUILTIN_RESOURCES, VERBS, rule_allows

BUILTIN_GROUPS = {group for group, _ in BUILTIN_RESOURCES}
"""Kubernetes' own API groups: every resource of one of them is not a custom resource."""

RULES = load_rules("linking.kubernetes")
"""This cloud's rules: ``linking/kubernetes/rules.json``."""

_WRITES = ("create", "update", "patch", "delete", "deletecollection")
ESCALATION_RISKS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "Listing secrets": (("", "secrets", ("get", "list", "watch")),),
    "Workload creation": tuple(
        (group, resource, ("create", "update", "patch"))
        for group, resource in (("", "pods"), ("", "replicationcontrollers"), ("apps", "deployments"), ("apps", "daemonsets"),
                                ("apps", "statefulsets"), ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"))
    ),
    "Persistent volume creation": (("", "persistentvolumes", ("create",)),),
    "Access to proxy subresource of Nodes": (("", "nodes/proxy", ("get", "create")),),
    "Escalate verb": (("rbac.authorization.k8s.io", "roles", ("escalate",)), ("rbac.authorization.k8s.io", "clusterroles", ("escalate",))),
    "Bind verb": (("rbac.authorization.k8s.io", "roles", ("bind",)), ("rbac.authorization.k8s.io", "clusterroles", ("bind",))),
    "Impersonate verb": tuple(("", resource, ("impersonate",)) for resource in ("users", "groups", "serviceaccounts")),
    "CSRs and certificate issuing": (
        ("certificates.k8s.io", "certificatesigningrequests", ("create",)),
        ("certificates.k8s.io", "certificatesigningrequests/approval", ("update", "patch")),
        ("certificates.k8s.io", "signers", ("approve", "sign")),
    ),
    "Token request": (("", "serviceaccounts/token", ("create",)),),
    "Control admission webhooks": tuple(
        ("admissionregistration.k8s.io", resource, _WRITES)
        for resource in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations")
    ),
    "Namespace modification": (("", "namespaces", ("update", "patch")),),
    # This project's: an ephemeral container is code in a running pod; an admission policy is the fence itself.
    "Ephemeral containers (linking)": (("", "pods/ephemeralcontainers", ("update", "patch")),),
    "Admission policies (linking)": tuple(
        ("admissionregistration.k8s.io", resource, _WRITES)
        for resource in ("validatingadmissionpolicies", "validatingadmissionpolicybindings",
                         "mutatingadmissionpolicies", "mutatingadmissionpolicybindings")
    ),
}
"""Kubernetes' escalation paths: section of the good-practices page -> the (apiGroup, resource, verbs) it names."""

LEDGERED_RISKS = ("Listing secrets", "Workload creation")
"""What an admin tier may keep, each grant in its ledger: a control plane deploys workloads and their Secrets."""
RBAC_VERBS = ("escalate", "bind", "impersonate")
READONLY_FORBIDDEN = ("secrets", "configmaps", "pods/log", "pods/exec", "pods/attach", "pods/portforward")
"""What a readonly tier may not reach: Secrets and ConfigMaps (configuration, often credentials), container logs, and
the subresources that run commands in or connect to a pod."""
POD_ACCESS = ("pods/exec", "pods/attach", "pods/portforward")


def risks_granted(rules: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[str, str, str]]]:
    """Each escalation path the rules open -> the (apiGroup, resource, verb) triples that open it."""
    rules = list(rules)
    found: dict[str, list[tuple[str, str, str]]] = {}
    for risk, grants in ESCALATION_RISKS.items():
        for group, resource, verbs in grants:
            for verb in verbs:
                if any(rule_allows(rule, group, resource, verb) for rule in rules):
                    found.setdefault(risk, []).append((group, resource, verb))
    return found


def lint_kubernetes(
    rules: Iterable[Mapping[str, Any]],
    source: str,
    *,
    tier: Optional[str] = None,
    token_expiry: Optional[str] = None,
    cluster_wide_writes: bool = False,
    unfenced_reason: Optional[str] = None,
    pod_security_reason: Optional[str] = None,
) -> list[Finding]:
    rules = list(rules)
    findings = []
    for index, rule in enumerate(rules):
        location = f"{source} rules[{index}]"
        verbs, resources = as_list(rule.get("verbs")), as_list(rule.get("resources"))
        every_verb = "*" in verbs or set(VERBS) <= set(verbs)
        groups = set(as_list(rule.get("apiGroups")))
        if every_verb and "*" in resources and ("*" in groups or groups & BUILTIN_GROUPS):
            findings.append(finding(RULES, "K8S001", location, f"verbs {verbs} on resources ['*'] of {sorted(groups)} [class: cluster admin]"))
        if any(str(url).startswith("*") for url in as_list(rule.get("nonResourceURLs"))):
            findings.append(finding(RULES, "K8S011", location, f"verbs {verbs} on nonResourceURLs {as_list(rule.get('nonResourceURLs'))} [class: cluster admin]"))
        for verb in RBAC_VERBS:
            if any(rule_allows(rule, "rbac.authorization.k8s.io" if verb != "impersonate" else "", resource, verb)
                   for resource in ("roles", "clusterroles", "users", "groups", "serviceaccounts")):
                findings.append(finding(RULES, "K8S002", location, f"{verb} [class: privesc]"))
        for risk, grants in risks_granted([rule]).items():
            if risk not in LEDGERED_RISKS and not risk.endswith(("verb", "Verb")):
                findings.append(finding(RULES, "K8S005", location, f"{_triples(grants)} [class: {risk}]"))
        for resource in READONLY_FORBIDDEN if tier == "readonly" else ():
            if any(rule_allows(rule, "", resource, verb) for verb in ("get", "list", "watch", "create")):
                findings.append(finding(RULES, "K8S003", location, f"{resource} [class: data read]"))
        if tier not in ("admin", "readonly") and "Listing secrets" in risks_granted([rule]):  # custom, or any role
            findings.append(finding(RULES, "K8S009", location, "get/list/watch core/secrets [class: data read]"))
        for resource in POD_ACCESS if tier != "readonly" else ():
            if any(rule_allows(rule, "", resource, verb) for verb in ("get", "create")):
                findings.append(finding(RULES, "K8S008", location, f"{resource} [class: code execution in a pod]"))
    if cluster_wide_writes:
        findings.append(finding(RULES, "K8S006", source, "the tier is bound with a ClusterRoleBinding; list namespaces instead"))
    if unfenced_reason is not None:
        findings.append(finding(RULES, "K8S007", source, f"admissionFence off: {unfenced_reason}"))
    if pod_security_reason is not None:
        findings.append(finding(RULES, "K8S013", source, f"podSecurity baseline: {pod_security_reason}"))
    if token_expiry:
        findings.append(finding(
            RULES, "K8S004", source,
            f"a service-account token does not expire, so Kubernetes will not end this access at {token_expiry}; "
            "use enabled: false (or credential none) to end it",
        ))
    return findings


def _triples(grants: list[tuple[str, str, str]]) -> str:
    return ", ".join(f"{verb} {group or 'core'}/{resource}" for group, resource, verb in grants)


DEFAULT_ROLE_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
"""The label every default ClusterRole carries, cluster-admin among them (Kubernetes' RBAC docs, "Default roles and
role bindings": "All of the default ClusterRoles and ClusterRoleBindings are labeled with
kubernetes.io/bootstrapping=rbac-defaults")."""
AGGREGATE_TO = {f"rbac.authorization.k8s.io/aggregate-to-{role}": role for role in ("admin", "edit", "view")}
"""Labels that add a ClusterRole's rules to the user-facing default roles (the same page, "Aggregated ClusterRoles")."""


def _lint_cluster_role(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    """A role's own rules; a role labelled to aggregate into ``view`` is judged as a readonly tier (everyone bound to
    view gains its rules); an ``aggregationRule`` by what it can select."""
    labels = ((props.get("metadata") or {}).get("labels") or {})
    into = sorted(role for label, role in AGGREGATE_TO.items() if str(labels.get(label)).lower() == "true")
    findings = lint_kubernetes(props.get("rules") or [], f"{name} rules" + (f" (aggregated into {', '.join(into)})" if into else ""),
                               tier="readonly" if "view" in into else tier)
    rule = props.get("aggregationRule") or props.get("aggregation_rule")
    for index, selector in enumerate((rule or {}).get("clusterRoleSelectors") or [] if isinstance(rule, Mapping) else []):
        reason = _unnamed_selection(selector if isinstance(selector, Mapping) else {})
        if reason:
            findings.append(finding(RULES, "K8S012", f"{name} aggregationRule.clusterRoleSelectors[{index}]", f"{reason} [class: cluster admin]"))
    return findings


def _unnamed_selection(selector: Mapping[str, Any]) -> Optional[str]:
    """Why a selector may aggregate roles the reviewer cannot see (None when it names only labels of its own)."""
    match_labels = {str(k): str(v) for k, v in (selector.get("matchLabels") or {}).items()}
    if selector.get("matchExpressions"):
        return "matchExpressions select roles by rule, not by a label of this program's"
    if not match_labels:
        return "an empty selector selects every ClusterRole, cluster-admin included"
    if match_labels.items() <= DEFAULT_ROLE_LABELS.items():
        return "selects the default roles (kubernetes.io/bootstrapping=rbac-defaults), cluster-admin included"
    aggregated = [AGGREGATE_TO[label] for label, value in match_labels.items() if label in AGGREGATE_TO and value.lower() == "true"]
    if aggregated:
        return f"selects what the default {aggregated[0]} role aggregates (Secrets, workloads, exec among them)"
    return None


PUBLIC_GROUPS = ("system:authenticated", "system:unauthenticated", "system:anonymous", "system:serviceaccounts")
"""Subjects that stand for everyone (or every workload) of a cluster (Kubernetes' authentication docs)."""


def _lint_binding(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    """A binding of cluster-admin (every verb on every resource), or of anything to everyone."""
    findings = []
    role = (props.get("roleRef") or {}).get("name")
    if role == "cluster-admin":
        findings.append(finding(RULES, "K8S001", f"{name} roleRef", "binds cluster-admin"))
    for index, subject in enumerate(props.get("subjects") or []):
        if str((subject or {}).get("name", "")).lower() in PUBLIC_GROUPS:
            findings.append(finding(RULES, "K8S010", f"{name} subjects[{index}]", f"{subject.get('kind')} {subject.get('name')}"))
    return findings


RESOURCE_LINTERS = {
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": _lint_cluster_role,
    "kubernetes:rbac.authorization.k8s.io/v1:Role": _lint_cluster_role,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": _lint_binding,
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": _lint_binding,
}
"""Resource type -> lint of its properties, for the policy pack."""

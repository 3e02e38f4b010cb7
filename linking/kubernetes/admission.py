"""The admission fence: a ValidatingAdmissionPolicy on what the link's own identity may create or change.

RBAC says which objects the control plane may write; it cannot say what they may contain. The fence does, for
requests from the link's identity only (its ServiceAccount, or its OIDC user or group): no privileged or
host-namespace pods, no hostPath volumes, pods only as service accounts the control plane made (named with the
link's prefix) or with no token at all; no service-account-token Secrets; RoleBindings only to ServiceAccounts
of the same namespace; CRDs only in the link's API groups, owned and without conversion webhooks; namespaces and
CRDs keep their owned and Pod Security labels. ``admissionregistration.k8s.io/v1`` is served from Kubernetes 1.30.
"""

from __future__ import annotations

from typing import Any

from ..config import OWNED_LABEL, LinkSpec

POD_SECURITY_LABEL_PREFIX = "pod-security.kubernetes.io/"
MIN_SERVER_VERSION = "1.30"

_POD_TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController")
_WORKLOADS = [
    ("", ["pods", "replicationcontrollers"]),
    ("apps", ["daemonsets", "deployments", "replicasets", "statefulsets"]),
    ("batch", ["cronjobs", "jobs"]),
]


def service_account_prefix(spec: LinkSpec) -> str:
    """Service accounts the control plane creates are named with this prefix; its pods may run only as them."""
    return f"{spec.id}-"


def identity_expression(spec: LinkSpec, service_account: str) -> str:
    """CEL: the request comes from the link's identity (what the policy applies to)."""
    settings = spec.kubernetes
    assert settings is not None
    if settings.credential == "token":
        return f"request.userInfo.username == {_cel(f'system:serviceaccount:{settings.namespace}:{service_account}')}"
    oidc = spec.control_plane.oidc
    assert oidc is not None
    clauses = []
    if oidc.subject:
        clauses.append(f"request.userInfo.username == {_cel(oidc.subject)}")
    if oidc.group:
        clauses.append(f"(has(request.userInfo.groups) && {_cel(oidc.group)} in request.userInfo.groups)")
    return " || ".join(clauses)


def fence_manifests(spec: LinkSpec, *, service_account: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ValidatingAdmissionPolicy and its binding, as manifests (what the link creates)."""
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": _resource_rules()},
            "matchConditions": [{"name": "from-the-link", "expression": identity_expression(spec, service_account)}],
            "variables": _variables(),
            "validations": _validations(spec),
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {"policyName": name, "validationActions": ["Deny"]},
    }
    return policy, binding


def _resource_rules() -> list[dict[str, Any]]:
    rules = [(group, resources) for group, resources in _WORKLOADS] + [
        ("", ["namespaces", "secrets", "serviceaccounts"]),
        ("apiextensions.k8s.io", ["customresourcedefinitions"]),
        ("rbac.authorization.k8s.io", ["rolebindings"]),
    ]
    return [
        {"apiGroups": [group], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"], "resources": resources}
        for group, resources in rules
    ]


def _variables() -> list[dict[str, str]]:
    template_kinds = ", ".join(_cel(kind) for kind in _POD_TEMPLATE_KINDS)
    return [
        {"name": "isPod", "expression": f"object.kind == 'Pod' || object.kind == 'CronJob' || object.kind in [{template_kinds}]"},
        {
            "name": "podSpec",
            "expression": "object.kind == 'Pod' ? object.spec : "
            "(object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)",
        },
        {
            "name": "containers",
            "expression": "(has(variables.podSpec.containers) ? variables.podSpec.containers : [])"
            " + (has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : [])"
            " + (has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])",
        },
        {"name": "volumes", "expression": "has(variables.podSpec.volumes) ? variables.podSpec.volumes : []"},
        {
            "name": "serviceAccount",
            "expression": "has(variables.podSpec.serviceAccountName) && variables.podSpec.serviceAccountName != '' ? "
            "variables.podSpec.serviceAccountName : 'default'",
        },
        {"name": "labels", "expression": "has(object.metadata.labels) ? object.metadata.labels : {}"},
        {
            "name": "oldLabels",
            "expression": "request.operation == 'UPDATE' && has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}",
        },
    ]


def _validations(spec: LinkSpec) -> list[dict[str, str]]:
    settings = spec.kubernetes
    assert settings is not None
    prefix = service_account_prefix(spec)
    groups = ", ".join(_cel(group) for group in settings.custom_resource_groups)
    fenced_label = f"k.startsWith({_cel(POD_SECURITY_LABEL_PREFIX)}) || k == {_cel(OWNED_LABEL)}"
    owned = f"{_cel(OWNED_LABEL)} in variables.labels && variables.labels[{_cel(OWNED_LABEL)}] == {_cel(spec.id)}"
    return [
        {
            "expression": "!variables.isPod || variables.containers.all(c, !has(c.securityContext) || "
            "!has(c.securityContext.privileged) || c.securityContext.privileged == false)",
            "message": "the link may not run privileged containers",
            "reason": "Forbidden",
        },
        {
            "expression": "!variables.isPod || ((!has(variables.podSpec.hostNetwork) || variables.podSpec.hostNetwork == false)"
            " && (!has(variables.podSpec.hostPID) || variables.podSpec.hostPID == false)"
            " && (!has(variables.podSpec.hostIPC) || variables.podSpec.hostIPC == false))",
            "message": "the link may not run pods in the node's network, process or IPC namespace",
            "reason": "Forbidden",
        },
        {
            "expression": "!variables.isPod || variables.volumes.all(v, !has(v.hostPath))",
            "message": "the link may not mount node paths (hostPath volumes)",
            "reason": "Forbidden",
        },
        {
            "expression": f"!variables.isPod || variables.serviceAccount.startsWith({_cel(prefix)}) || "
            "(variables.serviceAccount == 'default' && has(variables.podSpec.automountServiceAccountToken) && "
            "variables.podSpec.automountServiceAccountToken == false && variables.volumes.all(v, !has(v.projected) || "
            "!has(v.projected.sources) || v.projected.sources.all(s, !has(s.serviceAccountToken))))",
            "message": f"the link's pods run as service accounts it created (named {prefix}...), or as 'default' "
            "without a token",
            "reason": "Forbidden",
        },
        {
            "expression": f"object.kind != 'ServiceAccount' || request.operation != 'CREATE' || object.metadata.name.startsWith({_cel(prefix)})",
            "message": f"the link names the service accounts it creates {prefix}...",
            "reason": "Forbidden",
        },
        {
            "expression": "object.kind != 'Secret' || !has(object.type) || object.type != 'kubernetes.io/service-account-token'",
            "message": "the link may not create service-account token Secrets",
            "reason": "Forbidden",
        },
        {
            "expression": "object.kind != 'RoleBinding' || (has(object.subjects) && object.subjects.all(s, "
            "s.kind == 'ServiceAccount' && has(s.namespace) && s.namespace == object.metadata.namespace && "
            "!s.name.startsWith('system:')))",
            "message": "the link's RoleBindings bind only service accounts of their own namespace",
            "reason": "Forbidden",
        },
        {
            "expression": f"object.kind != 'Namespace' || request.operation != 'CREATE' || {owned}",
            "message": f"a namespace the link creates carries {OWNED_LABEL}={spec.id}",
            "reason": "Forbidden",
        },
        {
            "expression": f"!(object.kind in ['Namespace', 'CustomResourceDefinition']) || request.operation != 'UPDATE' || "
            f"(variables.labels.all(k, !({fenced_label}) || (k in variables.oldLabels && variables.oldLabels[k] == variables.labels[k]))"
            f" && variables.oldLabels.all(k, !({fenced_label}) || (k in variables.labels && variables.labels[k] == variables.oldLabels[k])))",
            "message": f"the link may not change Pod Security labels or {OWNED_LABEL}",
            "reason": "Forbidden",
        },
        {
            "expression": f"object.kind != 'CustomResourceDefinition' || ({owned} && object.spec.group in [{groups}] && "
            "(!has(object.spec.conversion) || object.spec.conversion.strategy == 'None'))",
            "message": f"the link's CRDs are in its customResourceGroups, labelled {OWNED_LABEL}={spec.id}, without a "
            "conversion webhook",
            "reason": "Forbidden",
        },
    ]


def _cel(value: str) -> str:
    """A CEL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

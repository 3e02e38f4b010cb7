"""The admission fence: a ValidatingAdmissionPolicy on what the link, and every identity it can mint, may create or
change.

RBAC says which objects the control plane may write; it cannot say what they may contain. The fence does, for
requests from the link's identity (its ServiceAccount, or its OIDC user or group) and from every service account
named with the link's prefix (``<id>.``: a link id holds no dot, so one link's prefix never starts another's),
in any namespace: the accounts the link can create, and the only ones it may bind its rights to, so no identity
it mints or binds walks around it. Pod Security Admission (``restricted``, pinned, on every managed namespace) is
the maintained policy; the fence repeats what PSA restricted checks, on pods and every pod template, so an
opted-down namespace or a cluster without PSA is still fenced, and adds what PSA does not cover: pods only as
the link's accounts (or with no token), no node name or system priority class, no Service external IPs, no
service-account-token Secrets, RoleBindings only to the link's accounts of the same namespace, CRDs only in the
link's API groups, owned and without conversion webhooks, and namespaces and CRDs that keep their owned and Pod
Security labels. ``admissionregistration.k8s.io/v1`` is served from Kubernetes 1.30.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import OWNED_LABEL

if TYPE_CHECKING:
    from ..config import LinkSpec
    from .settings import KubernetesSettings

POD_SECURITY_LABEL_PREFIX = "pod-security.kubernetes.io/"
MIN_SERVER_VERSION = "1.30"
POD_SECURITY_VERSION = f"v{MIN_SERVER_VERSION}"
"""The Pod Security Standards version the managed namespaces enforce: pinned, so a cluster upgrade changes nothing
without a reviewed change here."""

_POD_TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController")
_WORKLOADS = [
    ("", ["pods", "replicationcontrollers", "podtemplates"]),
    ("apps", ["daemonsets", "deployments", "replicasets", "statefulsets"]),
    ("batch", ["cronjobs", "jobs"]),
]


def pod_security_labels(settings: Any) -> dict[str, str]:
    """The Pod Security Admission labels of a managed namespace: enforce the link's level (restricted unless opted
    down), pinned to a version; warn and audit at restricted."""
    return {
        f"{POD_SECURITY_LABEL_PREFIX}enforce": settings.pod_security_level,
        f"{POD_SECURITY_LABEL_PREFIX}enforce-version": POD_SECURITY_VERSION,
        f"{POD_SECURITY_LABEL_PREFIX}warn": "restricted",
        f"{POD_SECURITY_LABEL_PREFIX}audit": "restricted",
    }


def service_account_prefix(spec: LinkSpec) -> str:
    """Service accounts the control plane creates are named with this prefix; its pods may run only as them. A dot,
    which a link id cannot hold: ``acme.`` never starts ``acme-b.``."""
    return f"{spec.id}."


def minted_expression(spec: LinkSpec) -> str:
    """CEL: the request comes from a service account named with the link's prefix, in any namespace."""
    return f"request.userInfo.username.matches({_cel('^system:serviceaccount:[^:]+:' + _regex(service_account_prefix(spec)))})"


def identity_expression(spec: LinkSpec, service_account: str) -> str:
    """CEL: the request comes from the link's identity or an identity it minted (what the policy applies to)."""
    return f"{_own_identity(spec, service_account)} || {minted_expression(spec)}"


def _own_identity(spec: LinkSpec, service_account: str) -> str:
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
    revoked = [{"expression": "false", "message": "the link is revoked (enabled: false): it and the accounts it made write "
                "nothing", "reason": "Forbidden"}]
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": _resource_rules()},
            "matchConditions": [{"name": "from-the-link", "expression": identity_expression(spec, service_account)}],
            "variables": _variables(),
            "validations": _validations(spec) if spec.enabled else revoked,
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
        ("", ["pods/ephemeralcontainers", "namespaces", "secrets", "serviceaccounts", "services", "persistentvolumeclaims"]),
        ("apiextensions.k8s.io", ["customresourcedefinitions"]),
        ("rbac.authorization.k8s.io", ["rolebindings", "roles"]),
    ]
    return [
        {"apiGroups": [group], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"], "resources": resources}
        for group, resources in rules
    ]


def _variables() -> list[dict[str, str]]:
    template_kinds = ", ".join(_cel(kind) for kind in _POD_TEMPLATE_KINDS)
    return [
        {"name": "isPod", "expression": f"object.kind in ['Pod', 'CronJob', 'PodTemplate', {template_kinds}]"},
        {
            "name": "podSpec",
            "expression": "object.kind == 'Pod' ? object.spec : (object.kind == 'PodTemplate' ? object.template.spec : "
            "(object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec))",
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


def _forbidden(expression: str, message: str) -> dict[str, str]:
    """A validation: what must hold (CEL), and the message when it does not."""
    return {"expression": expression, "message": message, "reason": "Forbidden"}


def _validations(spec: "LinkSpec") -> list[dict[str, str]]:
    settings = spec.kubernetes
    assert settings is not None
    prefix = service_account_prefix(spec)
    return _pod_validations(prefix) + _object_validations(spec, settings, prefix)


def _pod_validations(prefix: str) -> list[dict[str, str]]:
    """What a pod (of any workload kind) the link creates may not do: run privileged or in the node's namespaces,
    mount node paths, break Pod Security restricted, or run as an identity the link did not mint."""
    return [
        _forbidden(
            "!variables.isPod || variables.containers.all(c, !has(c.securityContext) || "
            "!has(c.securityContext.privileged) || c.securityContext.privileged == false)",
            "the link may not run privileged containers",
        ),
        _forbidden(
            "!variables.isPod || ((!has(variables.podSpec.hostNetwork) || variables.podSpec.hostNetwork == false)"
            " && (!has(variables.podSpec.hostPID) || variables.podSpec.hostPID == false)"
            " && (!has(variables.podSpec.hostIPC) || variables.podSpec.hostIPC == false))",
            "the link may not run pods in the node's network, process or IPC namespace",
        ),
        _forbidden(
            "!variables.isPod || variables.volumes.all(v, !has(v.hostPath))",
            "the link may not mount node paths (hostPath volumes)",
        ),
        *_restricted_validations(),
        _forbidden(
            f"!variables.isPod || variables.serviceAccount.startsWith({_cel(prefix)}) || "
            "(variables.serviceAccount == 'default' && has(variables.podSpec.automountServiceAccountToken) && "
            "variables.podSpec.automountServiceAccountToken == false && variables.volumes.all(v, !has(v.projected) || "
            "!has(v.projected.sources) || v.projected.sources.all(s, !has(s.serviceAccountToken))))",
            f"the link's pods run as service accounts it created (named {prefix}...), or as 'default' "
            "without a token",
        ),
    ]


def _object_validations(spec: "LinkSpec", settings: "KubernetesSettings", prefix: str) -> list[dict[str, str]]:
    """What other objects the link creates must be: its own service accounts, bindings, roles, namespaces and CRDs,
    no token Secrets, no claims on existing volumes, no external IPs, no label that moves a fence."""
    groups = ", ".join(_cel(group) for group in settings.custom_resource_groups)
    fenced_label = f"k.startsWith({_cel(POD_SECURITY_LABEL_PREFIX)}) || k == {_cel(OWNED_LABEL)}"
    owned = f"{_cel(OWNED_LABEL)} in variables.labels && variables.labels[{_cel(OWNED_LABEL)}] == {_cel(spec.id)}"
    return [
        _forbidden(
            f"object.kind != 'ServiceAccount' || request.operation != 'CREATE' || object.metadata.name.startsWith({_cel(prefix)})",
            f"the link names the service accounts it creates {prefix}...",
        ),
        _forbidden(
            "object.kind != 'Secret' || !has(object.type) || object.type != 'kubernetes.io/service-account-token'",
            "the link may not create service-account token Secrets",
        ),
        _forbidden(
            "object.kind != 'RoleBinding' || (has(object.subjects) && object.subjects.all(s, "
            "s.kind == 'ServiceAccount' && has(s.namespace) && s.namespace == object.metadata.namespace && "
            f"s.name.startsWith({_cel(prefix)})))",
            f"the link's RoleBindings bind only its own service accounts ({prefix}...) of their namespace",
        ),
        _forbidden(
            f"object.kind != 'Namespace' || request.operation != 'CREATE' || ({owned} && "
            f"{_cel(POD_SECURITY_LABEL_PREFIX + 'enforce')} in variables.labels && "
            f"variables.labels[{_cel(POD_SECURITY_LABEL_PREFIX + 'enforce')}] in {_levels(settings)})",
            f"a namespace the link creates carries {OWNED_LABEL}={spec.id} and enforces Pod Security "
            f"{settings.pod_security_level}",
        ),
        _forbidden(
            f"object.kind != 'Role' || (object.metadata.name.startsWith({_cel(prefix)}) && {owned} && "
            f"(request.operation != 'UPDATE' || (has(oldObject.metadata.labels) && {_cel(OWNED_LABEL)} in oldObject.metadata.labels && "
            f"oldObject.metadata.labels[{_cel(OWNED_LABEL)}] == {_cel(spec.id)})))",
            f"the link writes only Roles of its own ({prefix}..., labelled {OWNED_LABEL}={spec.id}): an existing "
            "Role may be bound to subjects the link may not bind",
        ),
        _forbidden(
            "object.kind != 'PersistentVolumeClaim' || !has(object.spec.volumeName) || object.spec.volumeName == ''",
            "the link's claims are provisioned, not bound to an existing volume (a hostPath or local one)",
        ),
        _forbidden(
            "object.kind != 'StatefulSet' || !has(object.spec.volumeClaimTemplates) || "
            "object.spec.volumeClaimTemplates.all(t, !has(t.spec.volumeName) || t.spec.volumeName == '')",
            "the link's claims are provisioned, not bound to an existing volume (a hostPath or local one)",
        ),
        _forbidden(
            "object.kind != 'Service' || !has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
            "the link's Services claim no external IPs (CVE-2020-8554: traffic for any address to its pods)",
        ),
        _forbidden(
            f"!(object.kind in ['Namespace', 'CustomResourceDefinition']) || request.operation != 'UPDATE' || "
            f"(variables.labels.all(k, !({fenced_label}) || (k in variables.oldLabels && variables.oldLabels[k] == variables.labels[k]))"
            f" && variables.oldLabels.all(k, !({fenced_label}) || (k in variables.labels && variables.labels[k] == variables.oldLabels[k])))",
            f"the link may not change Pod Security labels or {OWNED_LABEL}",
        ),
        _forbidden(
            f"object.kind != 'CustomResourceDefinition' || ({owned} && object.spec.group in [{groups}] && "
            "(!has(object.spec.conversion) || object.spec.conversion.strategy == 'None'))",
            f"the link's CRDs are in its customResourceGroups, labelled {OWNED_LABEL}={spec.id}, without a "
            "conversion webhook",
        ),
    ]


RESTRICTED_VOLUMES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret")
"""The volume types Pod Security's restricted profile allows ("Volume Types", Pod Security Standards)."""
SYSTEM_PRIORITY_CLASSES = ("system-node-critical", "system-cluster-critical")
"""Kubernetes' built-in priority classes: a pod of them preempts and outlives every workload on the node."""


def _restricted_validations() -> list[dict[str, str]]:
    """What Pod Security's restricted profile checks that a fenced identity could otherwise set (so an opted-down or
    unlabelled namespace is fenced as well), and what it does not check: node name and system priority classes."""
    containers = "variables.containers.all(c, "
    checks = [
        (containers + "!has(c.securityContext) || !has(c.securityContext.capabilities) || "
         "!has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(a, a == 'NET_BIND_SERVICE'))",
         "the link's containers add no capability but NET_BIND_SERVICE"),
        ("(!has(variables.podSpec.securityContext) || ((!has(variables.podSpec.securityContext.seccompProfile) || "
         "variables.podSpec.securityContext.seccompProfile.type != 'Unconfined') && "
         "(!has(variables.podSpec.securityContext.appArmorProfile) || "
         "variables.podSpec.securityContext.appArmorProfile.type != 'Unconfined'))) && " + containers +
         "!has(c.securityContext) || ((!has(c.securityContext.seccompProfile) || c.securityContext.seccompProfile.type != 'Unconfined') && "
         "(!has(c.securityContext.appArmorProfile) || c.securityContext.appArmorProfile.type != 'Unconfined')))",
         "the link's pods run with seccomp and AppArmor confined"),
        (containers + "!has(c.securityContext) || !has(c.securityContext.procMount) || c.securityContext.procMount == 'Default')",
         "the link's containers keep the default /proc mask"),
        (containers + "!has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))",
         "the link's containers open no host ports"),
        ("variables.volumes.all(v, " + " || ".join(f"has(v.{kind})" for kind in RESTRICTED_VOLUMES) + ")",
         "the link's volumes are of the types Pod Security restricted allows: " + ", ".join(RESTRICTED_VOLUMES)),
        ("variables.volumes.all(v, !has(v.ephemeral) || !has(v.ephemeral.volumeClaimTemplate) || "
         "!has(v.ephemeral.volumeClaimTemplate.spec.volumeName) || v.ephemeral.volumeClaimTemplate.spec.volumeName == '')",
         "the link's ephemeral volumes are provisioned, not bound to an existing volume"),
        ("variables.volumes.all(v, !has(v.projected) || !has(v.projected.sources) || v.projected.sources.all(s, "
         "!has(s.serviceAccountToken) || (!has(s.serviceAccountToken.audience) || s.serviceAccountToken.audience == '') && "
         "(!has(s.serviceAccountToken.expirationSeconds) || s.serviceAccountToken.expirationSeconds <= 3607)))",
         "the link's projected tokens are for the cluster (no audience) and last at most an hour"),
        ("!has(variables.podSpec.nodeName) || variables.podSpec.nodeName == ''",
         "the link's pods are scheduled, not pinned to a node (nodeName)"),
        ("!has(variables.podSpec.priorityClassName) || !(variables.podSpec.priorityClassName in ["
         + ", ".join(_cel(name) for name in SYSTEM_PRIORITY_CLASSES) + "])",
         "the link's pods use no system priority class"),
    ]
    return [{"expression": f"!variables.isPod || ({expression})", "message": message, "reason": "Forbidden"}
            for expression, message in checks]


def _levels(settings: Any) -> str:
    """CEL list of the Pod Security levels a namespace the link creates may enforce: its level or a stricter one."""
    levels = ["restricted"] if settings.pod_security_level == "restricted" else ["restricted", "baseline"]
    return "[" + ", ".join(_cel(level) for level in levels) + "]"


def _regex(value: str) -> str:
    """A RE2 pattern matching ``value`` literally."""
    return "".join("\\" + c if c in ".^$*+?()[]{}|\\" else c for c in value)


def _cel(value: str) -> str:
    """A CEL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

"""The Kubernetes admin tier, decided request by request: RBAC over the rendered roles and bindings, then the
admission fence's CEL over admission-request fixtures. Each README sentence about the tier is a line here."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .model import POLICY, Fence, Rbac, User
from .test_kubernetes import BASE

ADMIN: dict[str, Any] = {
    **BASE,
    "tier": "admin",
    "kubernetes": {**BASE["kubernetes"], "namespaces": ["team-a", "team-b"], "createNamespaces": True,
                   "customResourceGroups": ["acme.example"]},
}
LINK = User.service_account("linking", "linking-acme-prod")
OTHER = User("kubernetes-admin", ("system:masters", "system:authenticated"))


@pytest.fixture
def admin_link() -> dict[str, Any]:
    return copy.deepcopy(ADMIN)


@pytest.fixture
def admin_plan(admin_link, plan):
    return plan(admin_link)


# --- RBAC: (verb, resource, namespace, apiGroup) ----------------------------------------------------------

DENIED = {
    "pods in kube-system": ("create", "pods", "kube-system", ""),
    "deployments in kube-system": ("create", "deployments", "kube-system", "apps"),
    "Secrets in kube-system": ("get", "secrets", "kube-system", ""),
    "service-account token Secrets in kube-system": ("create", "secrets", "kube-system", ""),
    "Secrets of every namespace": ("list", "secrets", None, ""),
    "pods in the link's own namespace": ("create", "pods", "linking", ""),
    "Secrets in the link's own namespace": ("get", "secrets", "linking", ""),
    "pods in a namespace it does not manage": ("create", "pods", "team-c", ""),
    "Secrets in kube-public": ("get", "secrets", "kube-public", ""),
    "a token for any service account": ("create", "serviceaccounts/token", "team-a", ""),
    "node proxy": ("get", "nodes/proxy", None, ""),
    "cordon a node": ("patch", "nodes", None, ""),
    "exec into a pod": ("create", "pods/exec", "team-a", ""),
    "attach to a pod": ("create", "pods/attach", "team-a", ""),
    "port-forward to a pod": ("create", "pods/portforward", "team-a", ""),
    "ephemeral containers": ("patch", "pods/ephemeralcontainers", "team-a", ""),
    "endpoints writes (CVE-2021-25740)": ("create", "endpoints", "team-a", ""),
    "endpoints updates": ("update", "endpoints", "team-a", ""),
    "resource quota writes": ("update", "resourcequotas", "team-a", ""),
    "limit range writes": ("create", "limitranges", "team-a", ""),
    "namespace creation": ("create", "namespaces", None, ""),
    "namespace label changes": ("patch", "namespaces", None, ""),
    "namespace deletion": ("delete", "namespaces", None, ""),
    "CRD deletion": ("delete", "customresourcedefinitions", None, "apiextensions.k8s.io"),
    "ClusterRoleBindings": ("create", "clusterrolebindings", None, "rbac.authorization.k8s.io"),
    "ClusterRoles": ("create", "clusterroles", None, "rbac.authorization.k8s.io"),
    "escalate on roles": ("escalate", "roles", "team-a", "rbac.authorization.k8s.io"),
    "bind any role": ("bind", "clusterroles", None, "rbac.authorization.k8s.io"),
    "impersonate a service account": ("impersonate", "serviceaccounts", "team-a", ""),
    "impersonate a group": ("impersonate", "groups", None, ""),
    "approve certificate requests": ("update", "certificatesigningrequests/approval", None, "certificates.k8s.io"),
    "sign as a signer": ("approve", "signers", None, "certificates.k8s.io"),
    "mutating webhooks": ("create", "mutatingwebhookconfigurations", None, "admissionregistration.k8s.io"),
    "validating webhooks": ("update", "validatingwebhookconfigurations", None, "admissionregistration.k8s.io"),
    "ClusterRole changes": ("patch", "clusterroles", None, "rbac.authorization.k8s.io"),
    "remove its own fence": ("delete", "validatingadmissionpolicybindings", None, "admissionregistration.k8s.io"),
    "change its own fence": ("update", "validatingadmissionpolicies", None, "admissionregistration.k8s.io"),
    "persistent volumes (host paths)": ("create", "persistentvolumes", None, ""),
    "priority classes": ("create", "priorityclasses", None, "scheduling.k8s.io"),
    "custom resources of other groups": ("create", "widgets", "team-a", "evil.example"),
    "custom resources outside its namespaces": ("create", "widgets", "kube-system", "acme.example"),
    "Secrets cluster-wide through a custom group": ("list", "secrets", None, "acme.example"),
}

ALLOWED = {
    "deployments in a managed namespace": ("create", "deployments", "team-a", "apps"),
    "statefulsets in the other": ("update", "statefulsets", "team-b", "apps"),
    "scale a deployment": ("patch", "deployments/scale", "team-a", "apps"),
    "services": ("create", "services", "team-a", ""),
    "config maps": ("update", "configmaps", "team-a", ""),
    "Secrets of its workloads": ("create", "secrets", "team-b", ""),
    "jobs": ("create", "jobs", "team-a", "batch"),
    "cron jobs": ("delete", "cronjobs", "team-b", "batch"),
    "ingresses": ("create", "ingresses", "team-a", "networking.k8s.io"),
    "network policies": ("create", "networkpolicies", "team-a", "networking.k8s.io"),
    "autoscalers": ("create", "horizontalpodautoscalers", "team-a", "autoscaling"),
    "disruption budgets": ("create", "poddisruptionbudgets", "team-a", "policy"),
    "evict a pod": ("create", "pods/eviction", "team-a", ""),
    "read pod logs": ("get", "pods/log", "team-a", ""),
    "its workloads' service accounts": ("create", "serviceaccounts", "team-a", ""),
    "its workloads' Roles": ("create", "roles", "team-a", "rbac.authorization.k8s.io"),
    "its workloads' RoleBindings": ("create", "rolebindings", "team-a", "rbac.authorization.k8s.io"),
    "leader-election leases": ("update", "leases", "team-a", "coordination.k8s.io"),
    "controller revisions (rollbacks)": ("list", "controllerrevisions", "team-a", "apps"),
    "events": ("create", "events", "team-a", ""),
    "read nodes": ("list", "nodes", None, ""),
    "read namespaces": ("get", "namespaces", None, ""),
    "read storage classes": ("list", "storageclasses", None, "storage.k8s.io"),
    "read CSI drivers": ("get", "csidrivers", None, "storage.k8s.io"),
    "read persistent volumes": ("list", "persistentvolumes", None, ""),
    "read ingress classes": ("list", "ingressclasses", None, "networking.k8s.io"),
    "read runtime classes": ("list", "runtimeclasses", None, "node.k8s.io"),
    "read priority classes": ("list", "priorityclasses", None, "scheduling.k8s.io"),
    "create a CRD": ("create", "customresourcedefinitions", None, "apiextensions.k8s.io"),
    "update a CRD": ("update", "customresourcedefinitions", None, "apiextensions.k8s.io"),
    "its custom resources": ("create", "widgets", "team-a", "acme.example"),
    "pod metrics": ("list", "pods", "team-b", "metrics.k8s.io"),
}


@pytest.mark.parametrize("case", sorted(DENIED))
def test_rbac_denies(case, admin_plan):
    assert not Rbac.of(admin_plan).allows(LINK, *DENIED[case])


@pytest.mark.parametrize("case", sorted(ALLOWED))
def test_rbac_allows(case, admin_plan):
    assert Rbac.of(admin_plan).allows(LINK, *ALLOWED[case])


def test_the_oidc_identity_gets_the_same_and_nothing_more(admin_link, plan):
    admin_link["kubernetes"]["credential"] = "none"
    admin_link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", "subject": "cp", "group": "platform"}}
    rbac = Rbac.of(plan(admin_link))
    for user in (User("cp"), User("someone", ("platform",))):
        assert all(rbac.allows(user, *request) for request in ALLOWED.values())
        assert not any(rbac.allows(user, *request) for request in DENIED.values())
    assert not rbac.allows(User("someone-else", ("system:authenticated",)), *ALLOWED["services"])


def test_a_disabled_link_grants_nothing(admin_link, plan):
    admin_link["enabled"] = False
    rbac = Rbac.of(plan(admin_link))
    assert not any(rbac.allows(LINK, *request) for request in ALLOWED.values())


def test_scope_cluster_is_the_opt_in_that_reaches_every_namespace(admin_link, plan):
    del admin_link["kubernetes"]["namespaces"], admin_link["kubernetes"]["createNamespaces"]
    admin_link["kubernetes"]["scope"] = "cluster"
    result = plan(admin_link)
    rbac = Rbac.of(result)
    assert rbac.allows(LINK, "create", "pods", "kube-system")
    assert any("K8S006" in w for w in result.outputs["linkRecord"]["lint"]["warnings"])
    # The fence still holds: it may not run a pod there as the aggregation controller's account.
    fence = Fence(result.one(POLICY).inputs["spec"])
    assert fence.denials(LINK, pod(namespace="kube-system", serviceAccountName="clusterrole-aggregation-controller"))


def test_readonly_reads_no_secrets_anywhere(plan):
    rbac = Rbac.of(plan(copy.deepcopy(BASE)))
    assert rbac.allows(LINK, "list", "pods", None) and rbac.allows(LINK, "list", "deployments", "team-a", "apps")
    for verb in ("get", "list", "watch"):
        assert not rbac.allows(LINK, verb, "secrets", "kube-system")
        assert not rbac.allows(LINK, verb, "configmaps", None)
    for resource, verb in (("pods/exec", "create"), ("pods/attach", "create"), ("pods/portforward", "create"), ("pods/log", "get")):
        assert not rbac.allows(LINK, verb, resource, "team-a")


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease", "kube-flannel", "default", "linking"])
def test_the_cluster_namespaces_and_its_own_cannot_be_managed(namespace, admin_link, plan):
    admin_link["kubernetes"]["namespaces"] = ["team-a", namespace]
    plan.expect_error(admin_link, "linking:link.kubernetes.namespaces[1]", "namespace for the control plane's workloads")


def test_admin_without_namespaces_must_opt_in_to_the_cluster(admin_link, plan):
    del admin_link["kubernetes"]["namespaces"]
    plan.expect_error(admin_link, "linking:link.kubernetes.namespaces", "scope: cluster")


@pytest.mark.parametrize(("key", "name"), [("subject", "system:anonymous"), ("group", "system:authenticated"),
                                          ("group", "system:unauthenticated"), ("group", "System:ServiceAccounts"),
                                          ("subject", "system:serviceaccount:kube-system:default")])
def test_credential_none_refuses_system_subjects(key, name, plan):
    link = copy.deepcopy(BASE)
    link["kubernetes"]["credential"] = "none"
    link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", key: name}}
    plan.expect_error(link, f"linking:link.controlPlane.oidc.{key}", "not a system: one")


# --- the admission fence: admission requests from the link ------------------------------------------------

def pod(namespace: str = "team-a", kind: str = "Pod", **spec: Any) -> dict[str, Any]:
    """A pod, or a workload whose template holds the pod spec; named service account acme-prod.app by default."""
    pod_spec = {"serviceAccountName": "acme-prod.app", "containers": [{"name": "app", "image": "registry.example/app:1"}], **spec}
    meta = {"name": "x", "namespace": namespace}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
    template = {"metadata": {"labels": {"app": "x"}}, "spec": pod_spec}
    if kind == "CronJob":
        return {"kind": kind, "metadata": meta, "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}}
    return {"kind": kind, "metadata": meta, "spec": {"template": template}}


def labelled(kind: str, labels: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": "team-c", "labels": labels}, **extra}


OWNED = {"linking.dev/owned-by": "acme-prod"}
RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted"}
CRD_SPEC = {"group": "acme.example", "names": {"kind": "Widget"}, "scope": "Namespaced"}
PRIVILEGED = {"securityContext": {"privileged": True}}

FENCE_DENIES: dict[str, tuple[dict[str, Any], str, Any]] = {
    "privileged container": (pod(containers=[{"name": "a", **PRIVILEGED}]), "CREATE", None),
    "privileged init container": (pod(initContainers=[{"name": "i", **PRIVILEGED}]), "CREATE", None),
    "privileged ephemeral container": (pod(ephemeralContainers=[{"name": "e", **PRIVILEGED}]), "UPDATE", pod()),
    "privileged deployment": (pod(kind="Deployment", containers=[{"name": "a", **PRIVILEGED}]), "CREATE", None),
    "privileged cron job": (pod(kind="CronJob", containers=[{"name": "a", **PRIVILEGED}]), "CREATE", None),
    "privileged daemon set, by update": (pod(kind="DaemonSet", containers=[{"name": "a", **PRIVILEGED}]), "UPDATE", pod(kind="DaemonSet")),
    "host network": (pod(hostNetwork=True), "CREATE", None),
    "privileged replication controller": (pod(kind="ReplicationController", containers=[{"name": "a", **PRIVILEGED}]), "CREATE", None),
    "host PID daemon set": (pod(kind="DaemonSet", hostPID=True), "CREATE", None),
    "host IPC job": (pod(kind="Job", hostIPC=True), "CREATE", None),
    "hostPath volume": (pod(kind="StatefulSet", volumes=[{"name": "root", "hostPath": {"path": "/"}}]), "CREATE", None),
    "another controller's service account": (pod(serviceAccountName="clusterrole-aggregation-controller"), "CREATE", None),
    "a replica set as a foreign account": (pod(kind="ReplicaSet", serviceAccountName="prometheus"), "CREATE", None),
    "the default account with its token": (pod(serviceAccountName="default"), "CREATE", None),
    "no account named (default, token mounted)": (pod(serviceAccountName=""), "CREATE", None),
    "default account, token by projected volume": (
        pod(serviceAccountName="default", automountServiceAccountToken=False,
            volumes=[{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}]),
        "CREATE", None,
    ),
    "a service account without the prefix": ({"kind": "ServiceAccount", "metadata": {"name": "admin", "namespace": "team-a"}}, "CREATE", None),
    "a service-account token Secret": (
        {"kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"name": "t", "namespace": "team-a",
         "annotations": {"kubernetes.io/service-account.name": "acme-prod.app"}}}, "CREATE", None,
    ),
    "a RoleBinding to system:authenticated": (
        {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "team-a"},
         "subjects": [{"kind": "Group", "name": "system:authenticated"}], "roleRef": {"kind": "Role", "name": "r"}}, "CREATE", None,
    ),
    "a RoleBinding to an outside user": (
        {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "team-a"},
         "subjects": [{"kind": "User", "name": "mallory@evil.example"}], "roleRef": {"kind": "Role", "name": "r"}}, "CREATE", None,
    ),
    "a RoleBinding to another namespace's account": (
        {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "team-a"},
         "subjects": [{"kind": "ServiceAccount", "name": "acme-prod.app", "namespace": "kube-system"}], "roleRef": {"kind": "Role", "name": "r"}},
        "CREATE", None,
    ),
    "a RoleBinding to system:serviceaccounts, by update": (
        {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "team-a"},
         "subjects": [{"kind": "Group", "name": "system:serviceaccounts"}], "roleRef": {"kind": "Role", "name": "r"}}, "UPDATE",
        {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "team-a"}, "subjects": [], "roleRef": {"kind": "Role", "name": "r"}},
    ),
    "a namespace it does not label as owned": (labelled("Namespace", {}), "CREATE", None),
    "Pod Security relaxed": (
        labelled("Namespace", {**OWNED, "pod-security.kubernetes.io/enforce": "privileged"}), "UPDATE",
        labelled("Namespace", {**OWNED, "pod-security.kubernetes.io/enforce": "restricted"}),
    ),
    "Pod Security removed": (labelled("Namespace", OWNED), "UPDATE", labelled("Namespace", {**OWNED, "pod-security.kubernetes.io/enforce": "baseline"})),
    "taking over a namespace": (labelled("Namespace", OWNED), "UPDATE", labelled("Namespace", {})),
    "disowning a namespace": (labelled("Namespace", {}), "UPDATE", labelled("Namespace", OWNED)),
    "a CRD not labelled as owned": (labelled("CustomResourceDefinition", {}, spec=CRD_SPEC), "CREATE", None),
    "a CRD in another group": (labelled("CustomResourceDefinition", OWNED, spec={**CRD_SPEC, "group": "evil.example"}), "CREATE", None),
    "a CRD with a conversion webhook": (
        labelled("CustomResourceDefinition", OWNED, spec={**CRD_SPEC, "conversion": {"strategy": "Webhook"}}), "CREATE", None,
    ),
    "taking over a CRD": (
        labelled("CustomResourceDefinition", OWNED, spec=CRD_SPEC), "UPDATE", labelled("CustomResourceDefinition", {}, spec=CRD_SPEC),
    ),
    "a conversion webhook on its own CRD": (
        labelled("CustomResourceDefinition", OWNED, spec={**CRD_SPEC, "conversion": {"strategy": "Webhook"}}), "UPDATE",
        labelled("CustomResourceDefinition", OWNED, spec=CRD_SPEC),
    ),
}

AUDIT: dict[str, dict[str, Any]] = {
    "capability SYS_ADMIN": {"containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]},
    "capability SYS_MODULE in an init container": {"initContainers": [{"name": "i", "securityContext": {"capabilities": {"add": ["SYS_MODULE"]}}}]},
    "capability ALL": {"containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["ALL"]}}}]},
    "seccomp Unconfined (pod)": {"securityContext": {"seccompProfile": {"type": "Unconfined"}}},
    "seccomp Unconfined (container)": {"containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}]},
    "AppArmor Unconfined": {"containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]},
    "procMount Unmasked": {"containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}]},
    "hostPort": {"containers": [{"name": "a", "ports": [{"containerPort": 80, "hostPort": 80}]}]},
    "nfs volume": {"volumes": [{"name": "v", "nfs": {"server": "10.0.0.1", "path": "/"}}]},
    "iscsi volume": {"volumes": [{"name": "v", "iscsi": {"targetPortal": "10.0.0.1:3260", "iqn": "iqn.x", "lun": 0}}]},
    "flexVolume": {"volumes": [{"name": "v", "flexVolume": {"driver": "x/y"}}]},
    "inline gcePersistentDisk": {"volumes": [{"name": "v", "gcePersistentDisk": {"pdName": "prod-db"}}]},
    "inline awsElasticBlockStore": {"volumes": [{"name": "v", "awsElasticBlockStore": {"volumeID": "vol-1"}}]},
    "inline azureDisk": {"volumes": [{"name": "v", "azureDisk": {"diskName": "d", "diskURI": "u"}}]},
    "nodeName": {"nodeName": "control-plane-1"},
    "system-node-critical priority": {"priorityClassName": "system-node-critical"},
    "system-cluster-critical priority": {"priorityClassName": "system-cluster-critical"},
}
TEMPLATE_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController", "PodTemplate")
for _case, _spec in AUDIT.items():
    for _kind in TEMPLATE_KINDS:
        FENCE_DENIES[f"{_case} ({_kind}, create)"] = (pod(kind=_kind, **_spec), "CREATE", None)
    FENCE_DENIES[f"{_case} (Deployment, update)"] = (pod(kind="Deployment", **_spec), "UPDATE", pod(kind="Deployment"))
ROLE_RULES = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]
FENCE_DENIES.update({
    "a Role not named with the prefix": (labelled("Role", OWNED, rules=ROLE_RULES) | {"metadata": {"name": "reader", "namespace": "team-a", "labels": OWNED}}, "CREATE", None),
    "a Role not labelled as owned": ({"kind": "Role", "metadata": {"name": "acme-prod.reader", "namespace": "team-a"}, "rules": ROLE_RULES}, "CREATE", None),
    "widening a Role someone else made": (
        {"kind": "Role", "metadata": {"name": "acme-prod.reader", "namespace": "team-a", "labels": OWNED}, "rules": ROLE_RULES}, "UPDATE",
        {"kind": "Role", "metadata": {"name": "acme-prod.reader", "namespace": "team-a"}, "rules": []},
    ),
    "a claim bound to an existing volume": (
        {"kind": "PersistentVolumeClaim", "metadata": {"name": "c", "namespace": "team-a"}, "spec": {"volumeName": "node-root"}}, "CREATE", None),
    "a stateful set claiming an existing volume": (
        {"kind": "StatefulSet", "metadata": {"name": "s", "namespace": "team-a"},
         "spec": {"template": pod()["spec"] and {"spec": pod()["spec"]}, "volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {"volumeName": "node-root"}}]}},
        "CREATE", None),
    "an ephemeral volume bound to an existing volume": (
        pod(volumes=[{"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {"volumeName": "node-root"}}}}]), "CREATE", None),
    "a projected token for another audience": (
        pod(volumes=[{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t", "audience": "sts.amazonaws.com"}}]}}]), "CREATE", None),
    "a projected token for a long time": (
        pod(volumes=[{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 4294967296}}]}}]), "CREATE", None),
    "an ephemeral container by its subresource": (pod(ephemeralContainers=[{"name": "e", **PRIVILEGED}]), "UPDATE", pod()),
    "a Service with external IPs": ({"kind": "Service", "metadata": {"name": "s", "namespace": "team-a"},
                                     "spec": {"ports": [{"port": 80}], "externalIPs": ["10.0.0.10"]}}, "CREATE", None),
    "a RoleBinding to another account of its namespace": (
        {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "team-a"},
         "subjects": [{"kind": "ServiceAccount", "name": "ci-runner", "namespace": "team-a"}], "roleRef": {"kind": "Role", "name": "r"}},
        "CREATE", None,
    ),
    "a namespace without Pod Security": (labelled("Namespace", OWNED), "CREATE", None),
    "a namespace enforcing privileged": (labelled("Namespace", {**OWNED, "pod-security.kubernetes.io/enforce": "privileged"}), "CREATE", None),
})

FENCE_ADMITS: dict[str, tuple[dict[str, Any], str, Any]] = {
    "a restricted-compliant deployment": (
        pod(kind="Deployment", securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            containers=[{"name": "app", "image": "registry.example/app:1", "ports": [{"containerPort": 8080}],
                         "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
                                             "seccompProfile": {"type": "RuntimeDefault"}}}],
            volumes=[{"name": "c", "configMap": {"name": "c"}}, {"name": "t", "emptyDir": {}}, {"name": "s", "secret": {"secretName": "s"}}],
            priorityClassName="acme-high"),
        "CREATE", None,
    ),
    "its own Role": ({"kind": "Role", "metadata": {"name": "acme-prod.reader", "namespace": "team-a", "labels": OWNED}, "rules": ROLE_RULES},
                     "CREATE", None),
    "a provisioned claim": ({"kind": "PersistentVolumeClaim", "metadata": {"name": "c", "namespace": "team-a"},
                             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}, "CREATE", None),
    "a projected token for the cluster": (
        pod(volumes=[{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 3600}}]}}]), "CREATE", None),
    "a ClusterIP service": ({"kind": "Service", "metadata": {"name": "s", "namespace": "team-a"},
                             "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}}, "CREATE", None),
    "a deployment": (pod(kind="Deployment"), "CREATE", None),
    "a deployment update": (pod(kind="Deployment", containers=[{"name": "app", "image": "registry.example/app:2"}]), "UPDATE", pod(kind="Deployment")),
    "a stateful set with a volume claim": (pod(kind="StatefulSet", volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "d"}}]), "CREATE", None),
    "a job": (pod(kind="Job"), "CREATE", None),
    "a cron job": (pod(kind="CronJob"), "CREATE", None),
    "a pod with a non-privileged security context": (
        pod(containers=[{"name": "a", "securityContext": {"privileged": False, "runAsNonRoot": True}}]), "CREATE", None,
    ),
    "a pod as default without a token": (pod(serviceAccountName="default", automountServiceAccountToken=False), "CREATE", None),
    "a service": ({"kind": "Service", "metadata": {"name": "s", "namespace": "team-a"}, "spec": {"ports": [{"port": 80}]}}, "CREATE", None),
    "a config map": ({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team-a"}, "data": {"k": "v"}}, "CREATE", None),
    "an opaque Secret": ({"kind": "Secret", "type": "Opaque", "metadata": {"name": "s", "namespace": "team-a"}}, "CREATE", None),
    "a service account with the prefix": ({"kind": "ServiceAccount", "metadata": {"name": "acme-prod.app", "namespace": "team-a"}}, "CREATE", None),
    "a RoleBinding to its namespace's account": (
        {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "team-a"},
         "subjects": [{"kind": "ServiceAccount", "name": "acme-prod.app", "namespace": "team-a"}], "roleRef": {"kind": "Role", "name": "r"}},
        "CREATE", None,
    ),
    "a namespace labelled as owned, restricted": (labelled("Namespace", {**OWNED, **RESTRICTED}), "CREATE", None),
    "another label on its namespace": (
        labelled("Namespace", {**OWNED, "team": "a", "pod-security.kubernetes.io/enforce": "restricted"}), "UPDATE",
        labelled("Namespace", {**OWNED, "pod-security.kubernetes.io/enforce": "restricted"}),
    ),
    "its own CRD": (labelled("CustomResourceDefinition", OWNED, spec=CRD_SPEC), "CREATE", None),
    "a new version of its CRD": (
        labelled("CustomResourceDefinition", OWNED, spec={**CRD_SPEC, "versions": [{"name": "v2"}], "conversion": {"strategy": "None"}}),
        "UPDATE", labelled("CustomResourceDefinition", OWNED, spec=CRD_SPEC),
    ),
}


@pytest.fixture
def fence(admin_plan) -> Fence:
    return Fence(admin_plan.one(POLICY).inputs["spec"])


@pytest.mark.parametrize("case", sorted(FENCE_DENIES))
def test_the_fence_denies(case, fence):
    obj, operation, old = FENCE_DENIES[case]
    assert fence.denials(LINK, obj, operation, old)


@pytest.mark.parametrize("case", sorted(FENCE_ADMITS))
def test_the_fence_admits(case, fence):
    obj, operation, old = FENCE_ADMITS[case]
    assert fence.denials(LINK, obj, operation, old) == []


def test_the_fence_applies_to_the_link_only(fence):
    obj, operation, old = FENCE_DENIES["privileged container"]
    assert fence.denials(OTHER, obj, operation, old) == []
    assert not fence.applies(User.service_account("linking", "linking-other"), obj)


def test_the_fence_matches_the_oidc_user_and_group(admin_link, plan):
    admin_link["kubernetes"]["credential"] = "none"
    admin_link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", "subject": "cp", "group": "platform"}}
    fence = Fence(plan(admin_link).one(POLICY).inputs["spec"])
    obj = FENCE_DENIES["host network"][0]
    assert fence.denials(User("cp"), obj) and fence.denials(User("x", ("platform",)), obj)
    assert fence.denials(User("x", ("other",)), obj) == []


def test_the_fence_exists_before_any_right_is_granted(admin_plan):
    bindings = admin_plan.by_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding") + admin_plan.by_type(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
    )
    fence_binding = admin_plan.one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")
    namespaces = [n.urn for n in admin_plan.by_type("kubernetes:core/v1:Namespace") if n.name.startswith("acme-prod-managed-")]
    assert bindings and len(namespaces) == 2
    assert all(fence_binding.urn in b.dependencies and set(namespaces) <= set(b.dependencies) for b in bindings)


def test_going_without_the_fence_needs_a_reason_and_warns(admin_link, plan):
    admin_link["kubernetes"]["admissionFence"] = {"enabled": False}
    plan.expect_error(admin_link, "linking:link.kubernetes.admissionFence.reason", "two words")
    admin_link["kubernetes"]["admissionFence"]["reason"] = "the cluster runs Kubernetes 1.29 until March"
    result = plan(admin_link)
    assert result.by_type(POLICY) == []
    record = result.outputs["linkRecord"]
    assert record["kubernetes"]["admissionFence"] == {"disabled": "the cluster runs Kubernetes 1.29 until March"}
    assert any("K8S007" in w for w in record["lint"]["warnings"])


def test_the_record_says_what_to_stamp(admin_plan):
    details = admin_plan.outputs["linkRecord"]["kubernetes"]
    assert details["ownership"] == {"label": "linking.dev/owned-by", "value": "acme-prod", "serviceAccountPrefix": "acme-prod."}
    assert details["admissionFence"] == {"policy": "linking-acme-prod-fence", "minServerVersion": "1.30"}
    assert details["scope"] == "namespaces"


def test_managed_namespaces_are_created_labelled_as_owned(admin_plan):
    namespaces = {r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"] for r in admin_plan.by_type("kubernetes:core/v1:Namespace")}
    assert namespaces["team-a"]["linking.dev/owned-by"] == "acme-prod" and namespaces["team-b"]["linking.dev/owned-by"] == "acme-prod"


# --- identities the link mints, Pod Security, revocation (issue: a fence no minted identity escapes) -----------

RUNNER = User.service_account("team-a", "acme-prod.runner")


def test_the_delegation_chain_stays_fenced(fence, admin_plan):
    """The link creates an account, binds its own role to it in the same namespace, and runs a pod as it; that
    account's requests are fenced like the link's, so none of the forbidden objects gets in through it."""
    account = {"kind": "ServiceAccount", "metadata": {"name": "acme-prod.runner", "namespace": "team-a"}}
    binding = {"kind": "RoleBinding", "metadata": {"name": "runner", "namespace": "team-a"},
               "subjects": [{"kind": "ServiceAccount", "name": "acme-prod.runner", "namespace": "team-a"}],
               "roleRef": {"kind": "ClusterRole", "name": "linking-acme-prod", "apiGroup": "rbac.authorization.k8s.io"}}
    runner_pod = pod(serviceAccountName="acme-prod.runner")
    rbac = Rbac.of(admin_plan)
    for obj, resource, group in ((account, "serviceaccounts", ""), (binding, "rolebindings", "rbac.authorization.k8s.io"),
                                 (runner_pod, "pods", "")):
        assert rbac.allows(LINK, "create", resource, "team-a", group) and fence.denials(LINK, obj) == []
    assert fence.applies(RUNNER, FENCE_DENIES["privileged container"][0])
    leaked = [case for case, (obj, operation, old) in FENCE_DENIES.items() if not fence.denials(RUNNER, obj, operation, old)]
    assert leaked == []


def test_a_binding_to_an_account_the_link_did_not_mint_is_refused(fence):
    """Binding the link's rights to an existing account of the namespace would hand them to workloads the fence
    does not see."""
    obj, operation, old = FENCE_DENIES["a RoleBinding to another account of its namespace"]
    assert fence.denials(LINK, obj, operation, old) and fence.denials(RUNNER, obj, operation, old)


@pytest.mark.parametrize(("account", "fenced"), [
    ("acme.runner", True), ("acme.a.b", True), ("acme-b.runner", False), ("acme-b", False), ("acmeb.x", False), ("acme", False),
])
def test_one_links_prefix_never_reaches_another_links_accounts(account, fenced, admin_link, plan):
    """Link ids hold no dot: the fence of link 'acme' matches 'acme.*' and never the accounts of link 'acme-b'."""
    admin_link["id"] = "acme"
    policy = Fence(plan(admin_link).one(POLICY).inputs["spec"])
    assert policy.applies(User.service_account("team-a", account), FENCE_DENIES["privileged container"][0]) is fenced


def test_revocation_leaves_roles_without_rules_and_the_fence_in_place(admin_link, plan):
    """Revoked, the roles keep no rule (a binding the control plane made to them grants nothing), and the fence
    stays and refuses every write of the link and of the accounts it made."""
    admin_link["enabled"] = False
    result = plan(admin_link)
    assert [r.inputs.get("rules") for r in result.by_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")] == [[], []]
    assert result.by_type("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")
    revoked = Fence(result.one(POLICY).inputs["spec"])
    for user in (LINK, RUNNER):
        assert revoked.denials(user, FENCE_ADMITS["a restricted-compliant deployment"][0])


def test_managed_namespaces_enforce_pod_security_restricted_pinned(admin_plan):
    for namespace in admin_plan.by_type("kubernetes:core/v1:Namespace"):
        labels = namespace.inputs["metadata"]["labels"]
        if namespace.inputs["metadata"]["name"] in ("team-a", "team-b"):
            assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
            assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.30"


def test_existing_namespaces_get_the_labels_by_patch(admin_link, plan):
    admin_link["kubernetes"]["createNamespaces"] = False
    patches = plan(admin_link).by_type("kubernetes:core/v1:NamespacePatch")
    assert sorted(p.inputs["metadata"]["name"] for p in patches) == ["team-a", "team-b"]
    assert all(p.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted" for p in patches)


def test_baseline_is_an_opt_down_with_a_reason_and_a_warning(admin_link, plan):
    admin_link["kubernetes"]["podSecurity"] = {"level": "baseline"}
    plan.expect_error(admin_link, "linking:link.kubernetes.podSecurity.reason", "")
    admin_link["kubernetes"]["podSecurity"] = {"level": "baseline", "reason": "legacy agent needs root until OPS-7"}
    result = plan(admin_link)
    assert any("K8S013" in w for w in result.warnings)
    policy = Fence(result.one(POLICY).inputs["spec"])
    baseline = labelled("Namespace", {**OWNED, "pod-security.kubernetes.io/enforce": "baseline"})
    assert policy.denials(LINK, baseline) == []
    assert policy.denials(LINK, labelled("Namespace", {**OWNED, "pod-security.kubernetes.io/enforce": "privileged"}))

"""Kubernetes RBAC without the Kubernetes SDK: ClusterRole documents, names, labels, kubeconfig."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional

from .settings import KubernetesSettings
from ..errors import LinkConfigError
from ..files import parse_yaml
from ..policy import RenderedDocument, render_document
from ..validation import validate

if TYPE_CHECKING:
    from ..config import LinkSpec

RBAC_GROUP = "rbac.authorization.k8s.io"
_RULE_LISTS = ("apiGroups", "resources", "resourceNames", "nonResourceURLs", "verbs")


def check_cluster_role(document: Any, key_path: str) -> dict[str, Any]:
    """The canonical ClusterRole (each rule's lists sorted and de-duplicated; rule order kept), or one clear error."""
    if not isinstance(document, Mapping):
        raise LinkConfigError(key_path, document, "a ClusterRole manifest")
    doc = copy.deepcopy(dict(document))
    if isinstance(doc.get("rules"), list):
        for rule in doc["rules"]:
            if isinstance(rule, dict):
                for key in _RULE_LISTS:
                    if isinstance(rule.get(key), list) and all(isinstance(v, str) for v in rule[key]):
                        rule[key] = sorted(set(rule[key]))
    validate("kubernetes-cluster-role.schema.json", doc, key_path, from_file=True)
    return doc


def render_cluster_role(path: Path, link_id: str, key_path: str) -> RenderedDocument:
    """A ClusterRole manifest, checked and canonical (linking sets its name and labels when it creates it)."""
    return render_document(path, {"LinkId": link_id}, check_cluster_role, key_path)


def names(link_id: str, tier: str) -> dict[str, str]:
    """Object names derived from the link id: all fit a DNS-1123 subdomain (the id is at most 30 characters)."""
    base = f"linking-{link_id}"
    return {
        "serviceAccount": base, "clusterRole": f"{base}-{tier}", "binding": base, "tokenSecret": f"{base}-token",
        "clusterScopedRole": f"{base}-{tier}-cluster", "clusterScopedBinding": f"{base}-cluster", "fence": f"{base}-fence",
    }


def rule_allows(rule: Mapping[str, Any], group: str, resource: str, verb: str) -> bool:
    """Whether one RBAC rule allows ``verb`` on ``group``/``resource`` (a ``resource/subresource`` too), as the API
    server decides: ``*`` matches any group, resource or verb, ``*/sub`` any resource's subresource. Rules that name
    resourceNames allow only those objects, and count here (a request for one of them is allowed)."""
    resources = rule.get("resources") or []
    matches_resource = "*" in resources or resource in resources or (
        "/" in resource and f"*/{resource.split('/', 1)[1]}" in resources
    )
    return (
        matches_resource
        and any(g in ("*", group) for g in rule.get("apiGroups") or [])
        and any(v in ("*", verb) for v in rule.get("verbs") or [])
    )


MANAGE_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def custom_resource_rules(settings: KubernetesSettings, tier: str) -> list[dict[str, Any]]:
    """For the admin tier, the objects of the CRDs in the link's API groups (bound where the tier is)."""
    if tier != "admin" or not settings.custom_resource_groups:
        return []
    return [{"apiGroups": sorted(settings.custom_resource_groups), "resources": ["*"], "verbs": MANAGE_VERBS}]


def provenance_labels(spec: LinkSpec) -> dict[str, str]:
    """Labels hold only label-safe values (63 characters, [A-Za-z0-9._-]): the id, tier and status."""
    return {
        "app.kubernetes.io/managed-by": "pulumi",
        "linking.dev/link-id": spec.id,
        "linking.dev/tier": spec.tier,
        "linking.dev/status": "enabled" if spec.enabled else "disabled",
    }


def provenance_annotations(spec: LinkSpec) -> dict[str, str]:
    return {"linking.dev/owner": spec.owner, "linking.dev/expires-at": spec.expiry or "never"}


def kubeconfig(*, cluster: str, server: str, ca_data: str, user: str, token: str, namespace: str) -> str:
    """A kubeconfig with exactly one cluster, user and context."""
    import yaml

    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": user, "context": {"cluster": cluster, "user": user, "namespace": namespace}}],
            "current-context": user,
        },
        sort_keys=True,
    )


def server_from_kubeconfig(text: str, context: Optional[str]) -> Optional[str]:
    """The API server of ``context`` (or the current context) in a kubeconfig document, if it names one.

    Parsed with the bounded loader (a kubeconfig is a secret, not a file we trust to be small).
    """
    try:
        config = parse_yaml(text, "the kubeconfig", "kubeconfig") or {}
        name = context or config.get("current-context")
        ctx = next(c["context"] for c in config.get("contexts", []) if c.get("name") == name)
        return next(c["cluster"]["server"] for c in config.get("clusters", []) if c.get("name") == ctx["cluster"])
    except (LinkConfigError, StopIteration, KeyError, TypeError, AttributeError):
        return None


VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
BUILTIN_RESOURCES = (
    ("", "bindings"), ("", "componentstatuses"), ("", "configmaps"), ("", "endpoints"), ("", "events"),
    ("", "limitranges"), ("", "namespaces"), ("", "nodes"), ("", "persistentvolumeclaims"), ("", "persistentvolumes"),
    ("", "pods"), ("", "pods/attach"), ("", "pods/exec"), ("", "pods/log"), ("", "pods/portforward"), ("", "pods/status"),
    ("", "podtemplates"), ("", "replicationcontrollers"), ("", "resourcequotas"), ("", "secrets"), ("", "serviceaccounts"),
    ("", "serviceaccounts/token"), ("", "services"), ("", "services/proxy"), ("", "nodes/proxy"),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"), ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"), ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("apiregistration.k8s.io", "apiservices"), ("apps", "controllerrevisions"), ("apps", "daemonsets"), ("apps", "deployments"),
    ("apps", "deployments/scale"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "statefulsets/scale"),
    ("authentication.k8s.io", "tokenreviews"), ("authorization.k8s.io", "subjectaccessreviews"), ("autoscaling", "horizontalpodautoscalers"),
    ("batch", "cronjobs"), ("batch", "jobs"), ("certificates.k8s.io", "certificatesigningrequests"), ("coordination.k8s.io", "leases"),
    ("discovery.k8s.io", "endpointslices"), ("events.k8s.io", "events"), ("flowcontrol.apiserver.k8s.io", "flowschemas"),
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"), ("networking.k8s.io", "ingressclasses"), ("networking.k8s.io", "ingresses"),
    ("networking.k8s.io", "networkpolicies"), ("node.k8s.io", "runtimeclasses"), ("policy", "poddisruptionbudgets"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"), ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "roles"), ("scheduling.k8s.io", "priorityclasses"),
    ("storage.k8s.io", "csidrivers"), ("storage.k8s.io", "csinodes"), ("storage.k8s.io", "csistoragecapacities"),
    ("storage.k8s.io", "storageclasses"), ("storage.k8s.io", "volumeattachments"), ("metrics.k8s.io", "nodes"), ("metrics.k8s.io", "pods"),
)
"""Built-in API resources (Kubernetes 1.3x) that cluster-admin's ``*`` covers: the denominator of the Kubernetes ratio."""

"""Kubernetes cluster link: a ServiceAccount, a tier ClusterRole, its binding and a credential.

Importing this module imports ``pulumi_kubernetes`` only.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

import pulumi

from ..component import OFFLINE, LinkComponent, RunTimeSettings, TierFacts, child_provider
from ..findings import Finding
from ..contract import CONFIG_KEY, SECRET_PLACEHOLDER, check_https_url, known
from .settings import OWNED_LABEL, AdmissionFence, KubernetesSettings
from ..errors import MISSING, LinkConfigError
from ..extras import require_extra
from ..policy import RenderedDocument, builtin_document_path
from ..record import LinkRecord, link_record
from ..validation import join_path
from .cloud import CLOUD
from . import admission, documents, lint
from .documents import render_cluster_role

if TYPE_CHECKING:
    from ..config import LinkSpec

require_extra(CLOUD.name, CLOUD.sdk_modules)  # before the SDK import: a missing extra is a one-line error naming it
import pulumi_kubernetes as k8s  # noqa: E402

def _ambient_kubeconfig() -> Optional[str]:
    """The kubeconfig the Kubernetes provider falls back to: $KUBECONFIG's first file, or ~/.kube/config."""
    path = Path((os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0] or Path.home() / ".kube" / "config")
    return path.read_text(encoding="utf-8") if path.is_file() else None


AMBIENT_SERVER_PLACEHOLDER = "[API server of the ambient kubeconfig: not read by the offline plan]"


def api_server(settings: KubernetesSettings) -> str:
    """The API server the kubeconfig output points at: from config, or from the kubeconfig the provider uses.

    The offline plan reads no kubeconfig of the machine it runs on (a CI runner's): it puts a placeholder there.
    """
    if settings.server:
        return known(settings.server)
    if settings.kubeconfig == SECRET_PLACEHOLDER:  # the offline plan cannot read a secret kubeconfig
        return SECRET_PLACEHOLDER
    if settings.kubeconfig is None and OFFLINE.get():
        return AMBIENT_SERVER_PLACEHOLDER
    text = settings.kubeconfig or _ambient_kubeconfig()
    server = documents.server_from_kubeconfig(text, settings.context) if text else None
    key_path = join_path(CONFIG_KEY, ["kubernetes", "server"])
    if server is None:
        raise LinkConfigError(key_path, MISSING, "the API server URL (https://) for the kubeconfig output: no kubeconfig the provider uses names one")
    try:
        check_https_url(server, key_path, "the kubeconfig's API server URL")
    except LinkConfigError as exc:
        raise exc.hidden() from None  # read from the kubeconfig, a secret
    return server


def _rule_args(rule: dict[str, Any]) -> dict[str, Any]:
    """A manifest rule (camelCase) as the SDK's PolicyRule arguments (snake_case)."""
    keys = {"apiGroups": "api_groups", "resources": "resources", "resourceNames": "resource_names",
            "nonResourceURLs": "non_resource_urls", "verbs": "verbs"}
    return {keys[k]: v for k, v in rule.items()}


class KubernetesClusterLinkArgs:
    """Arguments of `KubernetesClusterLink`."""

    def __init__(self, link: LinkSpec) -> None:
        """:param link: the link; ``link.provider`` is ``kubernetes``."""
        self.link = link


class KubernetesClusterLink(LinkComponent):
    """RBAC for the control plane in one cluster, with a token kubeconfig or an external OIDC subject."""

    TYPE, CLOUD, RULES = "linking:kubernetes:ClusterLink", CLOUD, lint.RULES
    service_account: k8s.core.v1.ServiceAccount
    cluster_role: k8s.rbac.v1.ClusterRole
    role: RenderedDocument
    kubeconfig: Optional[pulumi.Output[str]]
    """Secret; None with credential none or while disabled."""
    cluster_provider: Optional[k8s.Provider]
    """The provider the link built for its cluster (None when it inherits one); linked service accounts share it."""

    def __init__(self, name: str, args: KubernetesClusterLinkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(name, args, opts)

    def render(self, run: RunTimeSettings, tier: TierFacts, args: Any, opts: Optional[pulumi.ResourceOptions]) -> list[Finding]:
        """The tier's cluster roles (the admin tier's cluster-scoped one too), the API server the kubeconfig points at,
        and their lint."""
        spec, settings = run.spec, run.spec.kubernetes
        assert settings is not None
        self.role = render_cluster_role(tier.document, spec.id, tier.key_path)
        self.role_rules = self.role.document["rules"] + documents.custom_resource_rules(settings, spec.tier)
        self.cluster_scoped_role = (
            render_cluster_role(builtin_document_path("kubernetes", "admin-cluster"), spec.id, tier.key_path)
            if spec.tier == "admin" else None
        )
        fence = settings.admission_fence or AdmissionFence()
        self.fenced = spec.tier != "readonly" and fence.enabled
        token = settings.credential == "token"
        # A cluster the program creates in the same run: its endpoint and CA are Outputs, checked when they resolve.
        self.server = run.outputs.get(("kubernetes", "server")) or (api_server(settings) if token else settings.server)
        return (
            lint.lint_kubernetes(
                self.role_rules, tier.label, tier=spec.tier,
                token_expiry=spec.expiry if token else None,
                cluster_wide_writes=settings.scope == "cluster" and spec.tier != "readonly",
                unfenced_reason=None if self.fenced or spec.tier == "readonly" else fence.reason,
                pod_security_reason=(settings.pod_security.reason if settings.pod_security and spec.tier != "readonly"
                                     and settings.pod_security_level != "restricted" else None),
            )
            + (lint.lint_kubernetes(self.cluster_scoped_role.document["rules"], "admin-cluster") if self.cluster_scoped_role else [])
        )

    def register(self, name: str, run: RunTimeSettings, tier: TierFacts, warnings: list[str],
                 opts: Optional[pulumi.ResourceOptions]) -> pulumi.Output[LinkRecord]:
        """The cluster's provider, the namespaces, the service account, the roles, the admission fence, the bindings
        and the token kubeconfig; the record."""
        spec, settings = run.spec, run.spec.kubernetes
        assert settings is not None
        if self.server == AMBIENT_SERVER_PLACEHOLDER:
            pulumi.log.warn(
                "kubernetes.server is not set, so `pulumi up` takes the API server from the kubeconfig the provider uses; "
                "the offline plan reads no kubeconfig of this machine and shows a placeholder there",
                resource=self,
            )
        inherits_provider = child_provider(opts, "kubernetes") is not None
        self.cluster_provider = provider = None if inherits_provider else k8s.Provider(
            f"{name}-cluster",
            kubeconfig=pulumi.Output.secret(settings.kubeconfig) if settings.kubeconfig else None,
            context=settings.context,
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.labels, self.annotations = documents.provenance_labels(spec), documents.provenance_annotations(spec)
        self.object_names = object_names = documents.names(spec.id, spec.tier)
        namespace_deps, managed_namespaces = self._namespaces(name, spec, child)
        in_namespace = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=namespace_deps))
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account", metadata=self._metadata(object_names["serviceAccount"], settings.namespace), opts=in_namespace
        )
        self._roles(name, spec, child)
        if spec.enabled:
            # The fence and the namespaces exist before any right is granted: on a cluster without
            # admissionregistration.k8s.io/v1 (before 1.30), `pulumi up` stops before the bindings.
            before = [self.cluster_role, self.service_account, *managed_namespaces, *([self.fence] if self.fence else [])]
            self._bind(name, spec, object_names, self._subjects(spec, object_names["serviceAccount"]), self._metadata,
                       pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=before)))
        self.kubeconfig = None
        if settings.credential == "token" and spec.enabled:
            self._token(name, run, in_namespace)
        return link_record(
            spec,
            policy_sha256=self.role.sha256,
            target={"server": self.server if settings.server is not None else None},  # one read from a kubeconfig (a secret) is not published
            identity={
                "namespace": settings.namespace,
                "serviceAccount": object_names["serviceAccount"],
                "clusterRole": object_names["clusterRole"],
            },
            authentication=self._authentication(spec),
            expiry_enforcement=(
                "not enforced: a service-account token does not expire; end access with enabled: false"
                if settings.credential == "token"
                else "not enforced by Kubernetes: RBAC bindings do not expire; the control plane's OIDC tokens "
                "last as long as its identity provider issues them for"
            ) if spec.expires_at else "no expiry",
            details=self._details(spec),
            warnings=warnings,
        )

    def outputs(self) -> dict[str, Any]:
        return {"serviceAccount": self.object_names["serviceAccount"]}

    def _metadata(self, object_name: str, namespace: Optional[str] = None, **extra: str) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": object_name, "labels": self.labels, "annotations": {**self.annotations, **extra}}
        return {**meta, "namespace": namespace} if namespace else meta

    def _namespaces(self, name: str, spec: "LinkSpec", child: pulumi.ResourceOptions) -> tuple[list[pulumi.Resource], list[pulumi.Resource]]:
        """The link's own namespace (what its service account waits for), and the namespaces it manages: created
        labelled as owned, or existing ones with the Pod Security labels patched on."""
        settings = spec.kubernetes
        assert settings is not None
        namespace_deps: list[pulumi.Resource] = []
        if settings.create_namespace:
            namespace_deps.append(k8s.core.v1.Namespace(f"{name}-namespace", metadata=self._metadata(settings.namespace), opts=child))
        pod_security = admission.pod_security_labels(settings) if spec.tier != "readonly" else {}
        managed: list[pulumi.Resource] = [
            k8s.core.v1.Namespace(
                f"{name}-managed-{namespace}",
                metadata={**self._metadata(namespace), "labels": {**self.labels, OWNED_LABEL: spec.id, **pod_security}},
                opts=child,
            )
            for namespace in (settings.namespaces if settings.create_namespaces else ())
        ]
        if pod_security and not settings.create_namespaces:
            managed += [
                k8s.core.v1.NamespacePatch(f"{name}-pod-security-{namespace}", metadata={"name": namespace, "labels": pod_security}, opts=child)
                for namespace in settings.namespaces
            ]
        return namespace_deps, managed

    def _roles(self, name: str, spec: "LinkSpec", child: pulumi.ResourceOptions) -> None:
        """The tier's cluster roles (revoked, they keep no rule: a binding the control plane made itself grants nothing
        either), and the admission fence on what the link's identity creates."""
        names = self.object_names
        self.cluster_role = k8s.rbac.v1.ClusterRole(
            f"{name}-cluster-role",
            metadata=self._metadata(names["clusterRole"]),
            rules=[_rule_args(rule) for rule in self.role_rules] if spec.enabled else [],
            opts=child,
        )
        self.cluster_scoped_cluster_role = None if self.cluster_scoped_role is None else k8s.rbac.v1.ClusterRole(
            f"{name}-cluster-scoped-role",
            metadata=self._metadata(names["clusterScopedRole"]),
            rules=[_rule_args(rule) for rule in self.cluster_scoped_role.document["rules"]] if spec.enabled else [],
            opts=child,
        )
        self.fence = None
        if self.fenced:
            policy, binding = admission.fence_manifests(spec, service_account=names["serviceAccount"], name=names["fence"])
            fence_policy = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
                f"{name}-fence", metadata=self._metadata(names["fence"]), spec=policy["spec"], opts=child
            )
            self.fence = k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
                f"{name}-fence-binding", metadata=self._metadata(names["fence"]), spec=binding["spec"],
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[fence_policy])),
            )

    def _token(self, name: str, run: RunTimeSettings, in_namespace: pulumi.ResourceOptions) -> None:
        """The service account's token and a kubeconfig with it (both secrets)."""
        spec, settings, names = run.spec, run.spec.kubernetes, self.object_names
        assert settings is not None
        secret = k8s.core.v1.Secret(
            f"{name}-token",
            metadata=self._metadata(names["tokenSecret"], settings.namespace, **{"kubernetes.io/service-account.name": names["serviceAccount"]}),
            type="kubernetes.io/service-account-token",
            opts=pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(depends_on=[self.service_account])),
        )
        token_value = pulumi.Output.secret(secret.data.apply(lambda data: base64.b64decode(data["token"]).decode()))
        ca_data = run.setting("kubernetes", "ca_data") or secret.data.apply(lambda data: data["ca.crt"])
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(token_value, ca_data, self.server).apply(
                lambda values: documents.kubeconfig(
                    cluster=spec.id, server=values[2], ca_data=values[1], user=names["serviceAccount"],
                    token=values[0], namespace=settings.namespace,
                )
            )
        )
        self.link_secrets = pulumi.Output.secret({"kubeconfig": self.kubeconfig, "token": token_value})

    @staticmethod
    def _authentication(spec: "LinkSpec") -> dict[str, Any]:
        assert spec.kubernetes is not None
        if spec.kubernetes.credential == "token":
            return {
                "method": "service-account-token",
                "kubeconfig": "linkSecrets.kubeconfig" if spec.enabled else None,
                "token": "linkSecrets.token" if spec.enabled else None,
            }
        assert spec.control_plane.oidc is not None
        return {
            "method": "oidc",
            "issuer": spec.control_plane.oidc.issuer,
            "user": spec.control_plane.oidc.subject,
            "group": spec.control_plane.oidc.group,
        }

    def _details(self, spec: "LinkSpec") -> dict[str, Any]:
        settings = spec.kubernetes
        assert settings is not None
        fence = settings.admission_fence or AdmissionFence()
        return {
            "credential": settings.credential,
            "scope": settings.scope,
            "bindingKind": "RoleBinding" if settings.scope == "namespaces" else "ClusterRoleBinding",
            "namespaces": list(settings.namespaces),
            "ownership": {"label": OWNED_LABEL, "value": spec.id, "serviceAccountPrefix": admission.service_account_prefix(spec)},
            "podSecurity": admission.pod_security_labels(settings) if spec.tier != "readonly" else None,
            "admissionFence": (
                {"policy": self.object_names["fence"], "minServerVersion": admission.MIN_SERVER_VERSION} if self.fenced
                else {"disabled": fence.reason or "readonly tier: it writes nothing"}
            ),
        }

    @staticmethod
    def _subjects(spec: LinkSpec, service_account: str) -> list[dict[str, str]]:
        settings = spec.kubernetes
        assert settings is not None
        if settings.credential == "token":
            return [{"kind": "ServiceAccount", "name": service_account, "namespace": settings.namespace}]
        oidc = spec.control_plane.oidc
        assert oidc is not None
        subjects = []
        if oidc.subject:
            subjects.append({"kind": "User", "name": oidc.subject, "api_group": documents.RBAC_GROUP})
        if oidc.group:
            subjects.append({"kind": "Group", "name": oidc.group, "api_group": documents.RBAC_GROUP})
        return subjects

    def _bind(self, name: str, spec: "LinkSpec", object_names: dict[str, str], subjects: list[dict[str, str]],
              metadata: Callable[..., dict[str, Any]], depends: pulumi.ResourceOptions) -> None:
        """The tier for the subjects: per listed namespace through RoleBindings, or cluster-wide; the admin tier's
        cluster-scoped role always cluster-wide."""
        settings = spec.kubernetes
        assert settings is not None

        def role_ref(role: str) -> dict[str, str]:
            return {"api_group": documents.RBAC_GROUP, "kind": "ClusterRole", "name": role}

        if self.cluster_scoped_cluster_role is not None:
            k8s.rbac.v1.ClusterRoleBinding(
                f"{name}-cluster-binding", metadata=metadata(object_names["clusterScopedBinding"]),
                role_ref=role_ref(object_names["clusterScopedRole"]), subjects=subjects,
                opts=pulumi.ResourceOptions.merge(depends, pulumi.ResourceOptions(depends_on=[self.cluster_scoped_cluster_role])),
            )
        if settings.scope == "cluster":
            k8s.rbac.v1.ClusterRoleBinding(
                f"{name}-binding", metadata=metadata(object_names["binding"]), role_ref=role_ref(object_names["clusterRole"]),
                subjects=subjects, opts=depends,
            )
            return
        for namespace in settings.namespaces:
            k8s.rbac.v1.RoleBinding(
                f"{name}-binding-{namespace}",
                metadata=metadata(object_names["binding"], namespace),
                role_ref=role_ref(object_names["clusterRole"]),
                subjects=subjects,
                opts=depends,
            )

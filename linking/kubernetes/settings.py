"""Kubernetes' part of the stack config: ``linking:link.kubernetes``, and the rules that span keys."""

from __future__ import annotations

import base64
import dataclasses
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Optional

from ..contract import RunTime, check_https_url, is_base64_pem, known, visible_words
from ..errors import MISSING, LinkConfigError
from ..validation import join_path

if typing.TYPE_CHECKING:
    from ..config import LinkSpec


PROTECTED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "default")
"""Namespaces the control plane never manages: the cluster's own (and every other ``kube-`` one)."""
OWNED_LABEL = "linking.dev/owned-by"
"""The label that marks namespaces and CRDs as the link's (value: the link id)."""



@dataclass(frozen=True)
class KubernetesSettings:
    namespace: str = "linking"
    create_namespace: bool = True
    credential: str = "token"
    """``token`` (a service-account token in a kubeconfig) or ``none`` (bind controlPlane.oidc's user or group)."""
    server: Optional[RunTime] = None
    ca_data: Optional[RunTime] = None
    kubeconfig: Optional[str] = None
    """A secret: the kubeconfig the link's Kubernetes provider uses."""
    context: Optional[str] = None
    namespaces: tuple[str, ...] = ()
    """The namespaces the tier is granted in (RoleBindings); the admin tier's only write scope."""
    scope: Optional[str] = None
    """``namespaces`` (RoleBindings in `namespaces`) or ``cluster`` (a ClusterRoleBinding; for admin, an opt-in)."""
    create_namespaces: bool = False
    """The link creates each of `namespaces`, labelled as owned by it."""
    custom_resource_groups: tuple[str, ...] = ()
    """API groups of the CRDs the control plane may create, and whose objects it may manage in its namespaces."""
    admission_fence: Optional[AdmissionFence] = None
    """The ValidatingAdmissionPolicy fencing what the link's identity may create (on by default for tiers that write)."""
    pod_security: Optional[PodSecurity] = None
    """The Pod Security level the link's namespaces enforce (``restricted`` unless opted down with a reason)."""

    @property
    def pod_security_level(self) -> str:
        return (self.pod_security or PodSecurity()).level


@dataclass(frozen=True)
class PodSecurity:
    level: Literal["restricted", "baseline"] = "restricted"
    reason: Optional[str] = None
    """Why the namespaces enforce only ``baseline``: required with it (on record, a lint warning, risky in the diff)."""


@dataclass(frozen=True)
class AdmissionFence:
    enabled: bool = True
    reason: Optional[str] = None
    """Why the fence is off: required with ``enabled: false`` (clusters before Kubernetes 1.30)."""



_PEM_STAND_IN = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nlinking stand-in\n-----END CERTIFICATE-----\n").decode()
RUN_TIME_FIELDS: dict[tuple[str, ...], str] = {
    ("kubernetes", "server"): "https://linking-stand-in.invalid",
    ("kubernetes", "ca_data"): _PEM_STAND_IN,
}
SECRET_KEYS = ("kubernetes.kubeconfig",)


def check(spec: "LinkSpec", prefix: str, now: datetime) -> "LinkSpec":
    """Kubernetes rules that span keys: whom credential none binds, where the tier is granted, the admission fence."""
    settings = spec.kubernetes or KubernetesSettings()
    if settings.server is not None:
        check_https_url(known(settings.server), join_path(prefix, ["kubernetes", "server"]), "the API server URL")
    oidc = spec.control_plane.oidc
    if settings.credential == "none" and (oidc is None or (oidc.subject is None and oidc.group is None)):
        raise LinkConfigError(
            join_path(prefix, ["controlPlane", "oidc"]),
            MISSING if oidc is None else spec.to_config()["controlPlane"]["oidc"],
            "{issuer, subject or group}: the user or group the cluster's OIDC authenticator sees, for credential none",
        )
    if settings.credential == "none" and oidc is not None:
        for key in ("subject", "group"):
            name = getattr(oidc, key)
            if name is not None and name.casefold().startswith("system:"):
                raise LinkConfigError(
                    join_path(prefix, ["controlPlane", "oidc", key]), name,
                    "a user or group of the control plane's own, not a system: one (system:authenticated is every "
                    "identity of the cluster, system:unauthenticated everyone)",
                )
    settings = dataclasses.replace(settings, scope=_scope(spec, settings, join_path(prefix, ["kubernetes"])))
    fence = settings.admission_fence or AdmissionFence()
    if not fence.enabled and len(visible_words(fence.reason or "")) < 2:
        raise LinkConfigError(
            join_path(prefix, ["kubernetes", "admissionFence", "reason"]), fence.reason if fence.reason is not None else MISSING,
            "why the link goes without its admission fence, in at least two words (on record, and a lint warning)",
        )
    pod_security = settings.pod_security or PodSecurity()
    if pod_security.level != "restricted" and len(visible_words(pod_security.reason or "")) < 2:
        raise LinkConfigError(
            join_path(prefix, ["kubernetes", "podSecurity", "reason"]), pod_security.reason if pod_security.reason is not None else MISSING,
            "why the link's namespaces enforce only Pod Security baseline, in at least two words (on record, and a lint warning)",
        )
    for index, group in enumerate(settings.custom_resource_groups):
        if "." not in group or group.endswith((".k8s.io", ".kubernetes.io", ".x-k8s.io")) or group in ("k8s.io", "kubernetes.io"):
            raise LinkConfigError(
                join_path(prefix, ["kubernetes", "customResourceGroups", index]), group,
                "the API group of your own CRDs (a domain such as example.com), not a Kubernetes one",
            )
    ca_data = known(settings.ca_data) if settings.ca_data is not None else None
    if ca_data is not None and not is_base64_pem(ca_data):
        raise LinkConfigError(
            join_path(prefix, ["kubernetes", "caData"]),
            ca_data[:40] + ("..." if len(ca_data) > 40 else ""),
            "the cluster CA certificate as base64-encoded PEM (-----BEGIN CERTIFICATE-----)",
        )
    return dataclasses.replace(spec, kubernetes=settings)


def _scope(spec: "LinkSpec", settings: KubernetesSettings, key_path: str) -> str:
    """Where the tier is bound. The admin tier writes only in the namespaces it is given, unless it opts in to the
    whole cluster; those namespaces are never the cluster's own or the one holding the link's identity."""
    scope = settings.scope or ("namespaces" if settings.namespaces or spec.tier == "admin" else "cluster")
    if scope == "namespaces" and not settings.namespaces:
        raise LinkConfigError(
            join_path(key_path, ["namespaces"]), MISSING,
            "the namespaces the admin tier manages (it is bound there only), or scope: cluster to opt in to a cluster-wide admin",
        )
    if scope == "cluster" and settings.namespaces:
        raise LinkConfigError(join_path(key_path, ["scope"]), scope, "namespaces when namespaces are listed (scope cluster binds cluster-wide)")
    for index, namespace in enumerate(settings.namespaces):
        if namespace in PROTECTED_NAMESPACES or namespace.startswith("kube-") or namespace == settings.namespace:
            raise LinkConfigError(
                join_path(key_path, ["namespaces", index]), namespace,
                f"a namespace for the control plane's workloads: not {', '.join(PROTECTED_NAMESPACES)}, another kube- one, "
                f"or the link's own namespace {settings.namespace!r} (its token lives there)",
            )
    return scope

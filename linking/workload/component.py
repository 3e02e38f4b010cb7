"""Linked service accounts: a Kubernetes ServiceAccount that assumes a cloud identity, keylessly.

EKS (IAM roles for service accounts), GKE (workload identity) and AKS (Azure
workload identity) each take several steps by hand; `LinkedServiceAccount` is
all of them for one ServiceAccount. Each cloud's SDK is imported only when a
workload for that cloud is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import pulumi

from ..contract import check_https_url
from ..extras import require_extra
from ..providers import part, workload_host
from ..validation import join_path
from .documents import check_workload

if TYPE_CHECKING:
    from ..config import WorkloadSpec

require_extra(workload_host().name, workload_host().sdk_modules)  # before the SDK import: a missing extra is one line
import pulumi_kubernetes as k8s  # noqa: E402


def workload_tags(spec: "WorkloadSpec") -> dict[str, str]:
    return {
        **spec.tags,
        "linking:workload": f"{spec.namespace}/{spec.name}",
        "linking:owner": spec.owner,
        "managed-by": "pulumi",
    }


def _checked_issuer(issuer: pulumi.Input[str], key_path: str) -> pulumi.Input[str]:
    """The cluster's OIDC issuer URL, checked now, or when it resolves for a cluster created in the same run
    (``cluster.identities[0].oidcs[0].issuer``), before the trust that names it is created."""
    def checked(url: str) -> str:
        check_https_url(url, key_path, "the cluster's OIDC issuer URL")
        return url

    if isinstance(issuer, pulumi.Output):
        return issuer.apply(checked)
    assert isinstance(issuer, str)  # a workload's issuer is a string or an Output (the schema and the plugin say so)
    return checked(issuer)


class LinkedServiceAccountArgs:
    """Arguments of `LinkedServiceAccount`."""

    def __init__(self, workload: "WorkloadSpec", *, key_path: Optional[str] = None) -> None:
        """
        :param workload: the ServiceAccount, its cloud and its grants.
        :param key_path: where errors in it point (``linking:serviceAccounts[0]``; default ``namespace/name``).
        """
        self.workload = workload
        self.key_path = key_path or f"{workload.namespace}/{workload.name}"


class LinkedServiceAccount(pulumi.ComponentResource):
    """A Kubernetes ServiceAccount annotated with the cloud identity it assumes, and that identity's grants."""

    service_account: k8s.core.v1.ServiceAccount
    cloud_identity: pulumi.Output[str]
    """AWS role ARN, GCP service account email or Azure client id."""

    def __init__(self, name: str, args: LinkedServiceAccountArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        spec = args.workload
        inline_policy = check_workload(spec, args.key_path)
        super().__init__("linking:workload:LinkedServiceAccount", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_issuer = getattr(spec.settings, "oidc_issuer", None)  # EKS and AKS trust the cluster's issuer
        issuer = _checked_issuer(cluster_issuer, join_path(args.key_path, [spec.cloud, "oidcIssuer"])) if cluster_issuer else None
        self.cloud_identity, annotations, labels = part(spec.cloud, "workload").identity(
            name, spec, issuer, inline_policy, workload_tags(spec), child
        )
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={
                "name": spec.name,
                "namespace": spec.namespace,
                "labels": {"app.kubernetes.io/managed-by": "pulumi", "linking.dev/cloud": spec.cloud, **labels},
                "annotations": {"linking.dev/owner": spec.owner, **annotations},
            },
            opts=child,
        )
        self.register_outputs({"cloudIdentity": self.cloud_identity, "serviceAccount": spec.name})

"""Kubernetes cluster link: a ServiceAccount with RBAC, and the SDK-free ClusterRole rules.

Importing this package loads no cloud SDK: the component (``KubernetesClusterLink, KubernetesClusterLinkArgs``) imports it
on first use, and needs the ``kubernetes`` extra.
"""

from ..extras import lazy_exports
from .documents import render_cluster_role

__all__ = ["KubernetesClusterLink", "KubernetesClusterLinkArgs", "render_cluster_role"]
__getattr__ = lazy_exports(__name__, ["KubernetesClusterLink", "KubernetesClusterLinkArgs"])

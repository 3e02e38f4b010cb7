"""Linked service accounts: a Kubernetes ServiceAccount that assumes a cloud identity (IRSA, GKE, AKS).

Importing this package loads no cloud SDK: the component (``LinkedServiceAccount, LinkedServiceAccountArgs``) imports it
on first use, and needs the ``kubernetes`` extra.
"""

from ..extras import lazy_exports

__all__ = ["LinkedServiceAccount", "LinkedServiceAccountArgs"]
__getattr__ = lazy_exports(__name__, ["LinkedServiceAccount", "LinkedServiceAccountArgs"])

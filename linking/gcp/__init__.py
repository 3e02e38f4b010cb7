"""GCP project link: a service account with a custom role, and the SDK-free custom-role rules.

Importing this package loads no cloud SDK: the component (``GcpProjectLink, GcpProjectLinkArgs``) imports it
on first use, and needs the ``gcp`` extra.
"""

from ..extras import lazy_exports
from .documents import render_role

__all__ = ["GcpProjectLink", "GcpProjectLinkArgs", "render_role"]
__getattr__ = lazy_exports(__name__, ["GcpProjectLink", "GcpProjectLinkArgs"])

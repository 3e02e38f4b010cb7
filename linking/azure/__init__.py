"""Azure subscription link: a keyless identity with a custom role, and the SDK-free role-definition rules.

Importing this package loads no cloud SDK: the component (``AzureSubscriptionLink, AzureSubscriptionLinkArgs``) imports it
on first use, and needs the ``azure`` extra.
"""

from ..extras import lazy_exports
from .documents import render_role_definition, workload_roles

__all__ = ["AzureSubscriptionLink", "AzureSubscriptionLinkArgs", "render_role_definition", "workload_roles"]
__getattr__ = lazy_exports(__name__, ["AzureSubscriptionLink", "AzureSubscriptionLinkArgs"])

"""AWS account link: an IAM role the control plane assumes, and the SDK-free IAM document rules.

Importing this package loads no cloud SDK: the component (``AwsAccountLink, AwsAccountLinkArgs``) imports it
on first use, and needs the ``aws`` extra.
"""

from ..extras import lazy_exports
from .documents import AwsNames, render_policy

__all__ = ["AwsAccountLink", "AwsAccountLinkArgs", "AwsNames", "render_policy"]
__getattr__ = lazy_exports(__name__, ["AwsAccountLink", "AwsAccountLinkArgs"])

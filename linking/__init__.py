"""linking: cloud account links for a platform control plane, as Pulumi components.

Importing ``linking`` loads no cloud SDK: provider components live in their own
modules (``linking.aws``) and import their SDK when imported.
"""

from .config import AwsControlPlane, AwsSettings, ControlPlane, LinkSpec, OidcControlPlane
from .errors import LinkConfigError

__all__ = ["AwsControlPlane", "AwsSettings", "ControlPlane", "LinkConfigError", "LinkSpec", "OidcControlPlane"]

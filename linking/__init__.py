"""linking: cloud account links for a platform control plane, as Pulumi components.

Importing ``linking`` loads no cloud SDK: the components live in their own modules
(``linking.aws``, ``linking.azure``, ``linking.gcp``, ``linking.kubernetes``,
``linking.workload``) and import their SDK when imported.
"""

from .config import (
    AwsControlPlane,
    AwsSettings,
    AwsWorkload,
    AzureClientSecret,
    AzureRoleAssignmentSpec,
    AzureSettings,
    AzureWorkload,
    ControlPlane,
    GcpControlPlane,
    GcpSettings,
    GcpWorkload,
    KubernetesSettings,
    LinkSpec,
    OidcControlPlane,
    Waiver,
    WorkloadSpec,
)
from .errors import LinkConfigError

__all__ = [
    "AwsControlPlane",
    "AwsSettings",
    "AwsWorkload",
    "AzureClientSecret",
    "AzureRoleAssignmentSpec",
    "AzureSettings",
    "AzureWorkload",
    "ControlPlane",
    "GcpControlPlane",
    "GcpSettings",
    "GcpWorkload",
    "KubernetesSettings",
    "LinkConfigError",
    "LinkSpec",
    "OidcControlPlane",
    "Waiver",
    "WorkloadSpec",
]

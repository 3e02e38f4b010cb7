"""GCP's argument types for the hosted link and linked service account (`linking.plugin`).

No ``from __future__ import annotations`` here: the analyzer reads these annotations at run time.
"""

from typing import TypedDict

import pulumi

from ..hosting import LinkArgs


class GcpSettingsArgs(TypedDict, total=False):
    project: pulumi.Input[str]
    access: pulumi.Input[str]
    """impersonation (default), workload-identity or key."""
    services: pulumi.Input[list[pulumi.Input[str]]]
    key_rotation_days: pulumi.Input[int]
    scope: pulumi.Input[str]
    """project (default) or wide."""


class GcpProjectLinkArgs(LinkArgs, total=False):
    gcp: pulumi.Input[GcpSettingsArgs]


class GcpWorkloadArgs(TypedDict, total=False):
    project: pulumi.Input[str]
    roles: pulumi.Input[list[pulumi.Input[str]]]

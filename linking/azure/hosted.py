"""Azure's argument types for the hosted link and linked service account (`linking.plugin`).

No ``from __future__ import annotations`` here: the analyzer reads these annotations at run time.
"""

from typing import TypedDict

import pulumi

from ..hosting import LinkArgs


class AzureClientSecretArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    end_date: pulumi.Input[str]


class AzureSettingsArgs(TypedDict, total=False):
    subscription_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    identity: pulumi.Input[str]
    """managed (default) or application."""
    location: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    client_secret: pulumi.Input[AzureClientSecretArgs]
    resource_groups: pulumi.Input[list[pulumi.Input[str]]]
    """The resource groups the admin tier works in; the link creates them."""
    scope: pulumi.Input[str]
    """resource-groups (default) or subscription."""


class AzureSubscriptionLinkArgs(LinkArgs, total=False):
    azure: pulumi.Input[AzureSettingsArgs]


class AzureRoleAssignmentArgs(TypedDict, total=False):
    role_definition_id: pulumi.Input[str]
    scope: pulumi.Input[str]


class AzureWorkloadArgs(TypedDict, total=False):
    subscription_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL; may be another resource's output."""
    role_assignments: pulumi.Input[list[pulumi.Input[AzureRoleAssignmentArgs]]]

"""AWS's argument types for the hosted link and linked service account (`linking.plugin`).

No ``from __future__ import annotations`` here: the analyzer reads these annotations at run time.
"""

from typing import TypedDict

import pulumi

from ..hosting import LinkArgs


class AwsClaimArgs(TypedDict, total=False):
    service: pulumi.Input[str]
    reason: pulumi.Input[str]


class AwsSettingsArgs(TypedDict, total=False):
    account_id: pulumi.Input[str]
    """The 12-digit account id; may be another resource's output (an account the program vends)."""
    trust: pulumi.Input[str]
    permissions_boundary_arn: pulumi.Input[str]
    max_session_hours: pulumi.Input[int]
    scope: pulumi.Input[str]
    """owned (default) or account."""
    revoke_workloads: pulumi.Input[bool]
    allow_claims: pulumi.Input[list[pulumi.Input[AwsClaimArgs]]]
    """Services whose untagged resources the admin tier may claim, each with a reason (an opt-in)."""


class AwsAccountLinkArgs(LinkArgs, total=False):
    aws: pulumi.Input[AwsSettingsArgs]


class AwsWorkloadArgs(TypedDict, total=False):
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL; may be another resource's output (a cluster the program creates)."""
    oidc_provider_arn: pulumi.Input[str]
    policy_arns: pulumi.Input[list[pulumi.Input[str]]]
    max_session_hours: pulumi.Input[int]

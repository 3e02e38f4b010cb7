"""The argument types every hosted link takes, for Pulumi's analyzer (`linking.plugin`): each cloud adds its section
in ``linking/<cloud>/hosted.py``.

No ``from __future__ import annotations`` here: the analyzer reads these annotations at run time.
"""

from typing import TypedDict

import pulumi


class ControlPlaneAwsArgs(TypedDict, total=False):
    principal_arn: pulumi.Input[str]
    """The control plane's IAM role (or user) ARN, no wildcards."""
    external_id: pulumi.Input[str]
    """The external ID the control plane sends; generated (a secret) when absent."""


class ControlPlaneOidcArgs(TypedDict, total=False):
    issuer: pulumi.Input[str]
    """The https URL of the control plane's OIDC issuer."""
    subject: pulumi.Input[str]
    """The exact token subject."""
    audience: pulumi.Input[str]
    provider_arn: pulumi.Input[str]
    """AWS: an existing IAM OIDC provider for the issuer (one per issuer per account)."""
    group: pulumi.Input[str]
    """Kubernetes: the group the OIDC identity is bound as."""


class ControlPlaneGcpArgs(TypedDict, total=False):
    member: pulumi.Input[str]
    """The control plane's principal, such as serviceAccount:cp@project.iam.gserviceaccount.com."""


class ControlPlaneArgs(TypedDict, total=False):
    aws: pulumi.Input[ControlPlaneAwsArgs]
    oidc: pulumi.Input[ControlPlaneOidcArgs]
    gcp: pulumi.Input[ControlPlaneGcpArgs]


class WaiverArgs(TypedDict):
    rule: pulumi.Input[str]
    """A lint rule id of the link's provider, such as AWS006."""
    grant: pulumi.Input[str]
    """The action, permission or resource the lint error names (iam:PassRole): the waiver covers it and no other."""
    reason: pulumi.Input[str]
    """Why this link needs the exception, in words."""


class LinkArgs(TypedDict, total=False):
    """What every link takes (``linking:link`` in a stack file)."""

    id: pulumi.Input[str]
    """The link id: lower-case letters, digits and '-'; it names every resource."""
    display_name: pulumi.Input[str]
    tier: pulumi.Input[str]
    """readonly, admin or custom."""
    policy_file: pulumi.Input[str]
    """The tier document of tier custom, relative to the program's directory."""
    owner: pulumi.Input[str]
    """Who answers for this link."""
    expires_at: pulumi.Input[str]
    """RFC 3339 instant, such as 2027-06-30T00:00:00Z."""
    enabled: pulumi.Input[bool]
    control_plane: pulumi.Input[ControlPlaneArgs]
    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    waivers: pulumi.Input[list[pulumi.Input[WaiverArgs]]]

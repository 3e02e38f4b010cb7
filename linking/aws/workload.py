"""A linked service account's AWS identity (EKS IAM roles for service accounts): its checks (no SDK) and its role."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pulumi

from ..canonical import canonical_json
from ..names import derived_name, short_hash
from ..validation import join_path
from .documents import EKS_AUDIENCE, irsa_trust, render_policy
from .settings import AwsWorkload

ROLE_PATH = "/linking-sa/"


def checks(settings: AwsWorkload, key_path: str) -> tuple[list[tuple[list[Any], list[str | int], Any]], Optional[dict[str, Any]]]:
    """(findings, where, value) for each grant, and the inline document rendered from its policy file."""
    from .lint import lint_aws_permissions, lint_managed_policy

    found: list[tuple[list[Any], list[str | int], Any]] = [
        (lint_managed_policy(arn, arn), ["policyArns", index], arn) for index, arn in enumerate(settings.policy_arns)
    ]
    document = None
    if settings.policy_file is not None:
        document = render_policy(Path(settings.policy_file), None, join_path(key_path, ["policyFile"])).document
        found.append((lint_aws_permissions(document, "policyFile"), ["policyFile"], settings.policy_file))
    return found, document


def identity(name: str, spec: Any, issuer: Any, inline_policy: Optional[dict[str, Any]], tags: dict[str, str],
             child: pulumi.ResourceOptions) -> tuple[pulumi.Output[str], dict[str, Any], dict[str, str]]:
    """The role the ServiceAccount assumes (its ARN), and the ServiceAccount's annotations and labels for it."""
    import pulumi_aws as aws

    settings: AwsWorkload = spec.aws
    provider_arn: pulumi.Input[str] = settings.oidc_provider_arn or aws.iam.OpenIdConnectProvider(
        f"{name}-oidc", url=issuer, client_id_lists=[EKS_AUDIENCE], tags=tags, opts=child
    ).arn
    role = aws.iam.Role(
        f"{name}-role",
        name=derived_name("linking-sa-", f"{spec.namespace}-{spec.name}", 64),
        path=ROLE_PATH,
        description=f"Kubernetes ServiceAccount {spec.namespace}/{spec.name} (owner {spec.owner})",
        assume_role_policy=pulumi.Output.all(provider_arn, issuer).apply(
            lambda values: canonical_json(irsa_trust(values[0], values[1], spec.subject))
        ),
        max_session_duration=settings.max_session_hours * 3600,
        tags=tags,
        opts=child,
    )
    for arn in settings.policy_arns:
        aws.iam.RolePolicyAttachment(f"{name}-policy-{short_hash(arn)}", role=role.name, policy_arn=arn, opts=child)
    if inline_policy is not None:
        aws.iam.RolePolicy(f"{name}-inline-policy", role=role.name, name="linking-inline", policy=canonical_json(inline_policy), opts=child)
    return role.arn, {"eks.amazonaws.com/role-arn": role.arn}, {}

"""Validators for the CrossGuard pack: each runs `linking.lint` on one resource type's properties.

Unit-testable with constructed ``ResourceValidationArgs``; no engine needed. Errors
are reported by mandatory policies, warnings by advisory ones. A resource a
linking component created carries its tier in a tag or label, so tier rules
(no data reads in readonly) apply to it too.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from linking import lint
from linking.lint import Finding

Linter = Callable[[ResourceValidationArgs], list[Finding]]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _tier(args: ResourceValidationArgs) -> Optional[str]:
    props = args.props
    tags = props.get("tags") or {}
    labels = (props.get("metadata") or {}).get("labels") or {}
    tier = tags.get("linking:tier") if isinstance(tags, dict) else None
    return tier or labels.get("linking.dev/tier")


def _aws_role(args: ResourceValidationArgs) -> list[Finding]:
    return lint.lint_aws_trust(_json(args.props.get("assumeRolePolicy")), f"{args.name} assumeRolePolicy")


def _aws_policy(args: ResourceValidationArgs) -> list[Finding]:
    return lint.lint_aws_permissions(_json(args.props.get("policy")), f"{args.name} policy", tier=_tier(args))


def _azure_role_definition(args: ResourceValidationArgs) -> list[Finding]:
    document: dict[str, Any] = {"Actions": [], "NotActions": [], "DataActions": [], "NotDataActions": []}
    for permission in args.props.get("permissions") or []:
        for key, prop in (("Actions", "actions"), ("NotActions", "notActions"), ("DataActions", "dataActions"), ("NotDataActions", "notDataActions")):
            document[key] += permission.get(prop) or []
    # The condition lives on the role assignment, which the pack does not see with the definition.
    return [f for f in lint.lint_azure(document, f"{args.name} permissions", tier=_tier(args)) if f.rule != "AZ002"]


def _gcp_custom_role(args: ResourceValidationArgs) -> list[Finding]:
    return lint.lint_gcp(args.props.get("permissions") or [], f"{args.name} permissions", tier=_tier(args))


def _gcp_member(args: ResourceValidationArgs) -> list[Finding]:
    return lint.lint_gcp([], f"{args.name} role", roles=[args.props.get("role", "")])


def _kubernetes_cluster_role(args: ResourceValidationArgs) -> list[Finding]:
    return lint.lint_kubernetes(args.props.get("rules") or [], f"{args.name} rules", tier=_tier(args))


LINTERS: dict[str, Linter] = {
    "aws:iam/role:Role": _aws_role,
    "aws:iam/rolePolicy:RolePolicy": _aws_policy,
    "aws:iam/policy:Policy": _aws_policy,
    "azure-native:authorization:RoleDefinition": _azure_role_definition,
    "gcp:projects/iAMCustomRole:IAMCustomRole": _gcp_custom_role,
    "gcp:projects/iAMMember:IAMMember": _gcp_member,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": _kubernetes_cluster_role,
}


def _validator(severity: str) -> Callable[[ResourceValidationArgs, Callable[..., None]], None]:
    def validate(args: ResourceValidationArgs, report_violation: Callable[..., None]) -> None:
        linter = LINTERS.get(args.resource_type)
        if linter is None:
            return
        for found in linter(args):
            if found.severity == severity:
                report_violation(found.message)

    return validate


POLICIES = [
    ResourceValidationPolicy(
        name="linking-least-privilege",
        description="No wildcard principals or actions, no unfenced IAM escalation, no basic roles, "
        "no data reads in readonly tiers, no cluster-admin rules (linking lint errors).",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=_validator(lint.ERROR),
    ),
    ResourceValidationPolicy(
        name="linking-least-privilege-advisory",
        description="Root principals, escalate/bind/impersonate, unconditioned role assignment writes (linking lint warnings).",
        enforcement_level=EnforcementLevel.ADVISORY,
        validate=_validator(lint.WARNING),
    ),
]

"""Validators for the CrossGuard pack: each runs a cloud's lint (``linking/<cloud>/lint.py``) on one resource type's properties.

Unit-testable with constructed ``ResourceValidationArgs``; no engine needed. Errors
are reported by mandatory policies, warnings by advisory ones. A resource a
linking component created carries its tier in a tag or label, so tier rules
(no data reads in readonly) apply to it too.
"""

from __future__ import annotations

from typing import Callable, Optional

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from linking.findings import ERROR, WARNING
from linking.providers import parts


def _tier(args: ResourceValidationArgs) -> Optional[str]:
    props = args.props
    tags = props.get("tags") or {}
    labels = (props.get("metadata") or {}).get("labels") or {}
    tier = tags.get("linking:tier") if isinstance(tags, dict) else None
    return tier or labels.get("linking.dev/tier")


LINTERS = {typ: linter for lint in parts("lint").values() for typ, linter in lint.RESOURCE_LINTERS.items()}
"""Resource type -> lint of its properties (``linking/<cloud>/lint.py``)."""


def _validator(severity: str) -> Callable[[ResourceValidationArgs, Callable[..., None]], None]:
    def validate(args: ResourceValidationArgs, report_violation: Callable[..., None]) -> None:
        linter = LINTERS.get(args.resource_type)
        if linter is None:
            return
        for found in linter(args.props, args.name, _tier(args)):
            if found.severity == severity:
                report_violation(found.message)

    return validate


POLICIES = [
    ResourceValidationPolicy(
        name="linking-least-privilege",
        description="No wildcard principals or actions, no unfenced IAM escalation, no basic roles, "
        "no data reads in readonly tiers, no cluster-admin rules (linking lint errors).",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=_validator(ERROR),
    ),
    ResourceValidationPolicy(
        name="linking-least-privilege-advisory",
        description="Root principals, escalate/bind/impersonate, unconditioned role assignment writes (linking lint warnings).",
        enforcement_level=EnforcementLevel.ADVISORY,
        validate=_validator(WARNING),
    ),
]

"""Small IAM documents for tests: a statement or a trust in one call."""

from __future__ import annotations

from typing import Any

CP = "arn:aws:iam::111122223333:role/control-plane"


def aws_doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: list[str], resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": [resource] if isinstance(resource, str) else resource, **extra}


def trust(principal: dict[str, Any], condition: Any = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": ["sts:AssumeRole"]}
    if condition:
        statement["Condition"] = condition
    return aws_doc(statement)


EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "x"}}
BOUNDARY = {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}}


def pack_messages(resource_type: str, props: dict[str, Any], *, mandatory_only: bool = False) -> list[str]:
    """What the policy pack reports on one resource (``mandatory_only``: what blocks it, the lint's errors)."""
    from pulumi_policy import EnforcementLevel, ResourceValidationArgs

    from linking.policypack.validators import POLICIES

    found: list[str] = []
    args = ResourceValidationArgs(resource_type, props, f"urn:pulumi:s::p::{resource_type}::r", "r", None, None)
    for policy in POLICIES:
        if not mandatory_only or policy.enforcement_level == EnforcementLevel.MANDATORY:
            policy.validate(args, lambda message, urn=None: found.append(message))
    return found


STACK_PROGRAM = "from pathlib import Path\n\nfrom linking import program\n\nprogram.run(Path(__file__).resolve().parent)\n"
"""The program of a test project: linking's stack program, as `stacks/__main__.py` runs it."""


def write_project(root, name: str = "platform", *, program: bool = True) -> None:
    """A Pulumi project in ``root``: ``Pulumi.yaml`` and (unless told not to) the program it names."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    if program:
        (root / "__main__.py").write_text(STACK_PROGRAM)

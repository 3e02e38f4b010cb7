"""AWS lint rules: trust and permission documents."""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from ..canonical import as_list
from ..config import AwsSettings
from ..findings import ERROR, WARNING, Finding, finding, matches, where

RULES = {
    "AWS001": (ERROR, "trust allows a wildcard principal"),
    "AWS002": (WARNING, "trust allows an account root principal (every identity of that account that IAM lets assume roles)"),
    "AWS003": (ERROR, "trust has neither an sts:ExternalId condition nor OIDC sub and aud conditions"),
    "AWS004": (ERROR, "allows every action ('*' or '*:*')"),
    "AWS005": (ERROR, "Allow with NotAction or NotResource grants everything not listed"),
    "AWS006": (ERROR, "privilege escalation action not fenced by a permissions-boundary condition"),
    "AWS007": (ERROR, "readonly tier reads data"),
    "AWS008": (ERROR, "attaches an AWS managed policy linking cannot judge (not in its snapshot)"),
    "AWS009": (WARNING, "aws.scope: account: the admin tier is not fenced by ownership; it changes and reads what it did not create"),
}

# Public privilege-escalation research (Rhino Security Labs and successors): each alone, or PassRole with a
# compute action, lets a principal give itself more than it has.
ESCALATION = (
    "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:CreateAccessKey", "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile", "iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy",
    "iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy", "iam:CreateRole",
)

PASSROLE_COMPUTE = (
    "ec2:RunInstances", "lambda:CreateFunction", "lambda:UpdateFunctionConfiguration", "glue:CreateDevEndpoint",
    "cloudformation:CreateStack", "datapipeline:CreatePipeline", "ecs:RunTask", "ecs:RegisterTaskDefinition",
    "sagemaker:CreateNotebookInstance", "codebuild:CreateProject",
)

DATA_READS = (
    "s3:GetObject", "s3:GetObjectVersion", "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "kms:Decrypt", "dynamodb:GetItem",
    "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "sqs:ReceiveMessage", "logs:GetLogEvents",
    "logs:FilterLogEvents", "lambda:GetFunction", "ec2:GetPasswordData", "ec2:DescribeInstanceAttribute",
    "rds:DownloadDBLogFilePortion", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
)


def lint_aws_settings(settings: AwsSettings, *, tier: str) -> list[Finding]:
    """Findings about the link's AWS settings rather than a document."""
    if tier == "admin" and settings.scope == "account":
        return [finding(RULES, "AWS009", "linking:link.aws.scope", "policy_docs/aws/admin-account.json instead of the ownership fence")]
    return []


def lint_aws_trust(document: Mapping[str, Any], source: str) -> list[Finding]:
    findings = []
    for index, statement in enumerate(as_list(document.get("Statement"))):
        if statement.get("Effect") != "Allow":
            continue
        location = where(source, index, statement)
        principal = statement.get("Principal", {})
        values = [principal] if isinstance(principal, str) else [v for vs in principal.values() for v in as_list(vs)]
        if any("*" in str(v) for v in values):
            findings.append(finding(RULES, "AWS001", location, f"Principal {json.dumps(principal)}"))
        if any(str(v).endswith(":root") for v in values):
            findings.append(finding(RULES, "AWS002", location, f"Principal {json.dumps(principal)}"))
        keys = {k.lower() for op in (statement.get("Condition") or {}).values() for k in op}
        oidc = any(k.endswith(":sub") for k in keys) and any(k.endswith(":aud") for k in keys)
        if "sts:externalid" not in keys and not oidc:
            findings.append(finding(RULES, "AWS003", location, "add sts:ExternalId (AWS principal) or the token's sub and aud (OIDC)"))
    return findings


FENCE_OPERATORS = ("stringequals", "arnequals")


def boundary_fence(condition: Any, boundaries: Optional[set[str]] = None) -> bool:
    """Whether a statement's condition actually pins ``iam:PermissionsBoundary`` to a boundary: an exact
    equality (``StringEquals``/``ArnEquals``, no ``IfExists``, no set operator) with concrete ARNs, and, when the
    link's own ``boundaries`` are known, only those. ``StringLike "*"``, ``Null``, ``StringNotEquals`` or
    ``...IfExists`` name the key but fence nothing."""
    if not isinstance(condition, Mapping):
        return False
    for operator, keys in condition.items():
        if str(operator).lower() not in FENCE_OPERATORS or not isinstance(keys, Mapping):
            continue
        for key, values in keys.items():
            if str(key).lower() == "iam:permissionsboundary":
                arns = as_list(values)
                concrete = all(isinstance(a, str) and a.startswith("arn:") and "*" not in a and "?" not in a for a in arns)
                if arns and concrete and (boundaries is None or set(arns) <= boundaries):
                    return True
    return False


def lint_aws_permissions(
    document: Mapping[str, Any], source: str, *, tier: Optional[str] = None, boundaries: Optional[set[str]] = None
) -> list[Finding]:
    """The permission rules on one identity policy; ``boundaries``: the link's own boundary ARNs, the only values
    an escalation fence may name (unknown for a document checked on its own)."""
    findings = []
    statements = as_list(document.get("Statement"))
    # Only a Deny that always applies silences a finding: no condition (one that may never be true fences
    # nothing) and every resource (a Deny on one bucket leaves the rest allowed).
    denied = [
        a for s in statements
        if s.get("Effect") == "Deny" and not s.get("Condition") and "*" in as_list(s.get("Resource"))
        for a in as_list(s.get("Action"))
    ]
    allowed_anywhere = [a for s in statements if s.get("Effect") == "Allow" for a in as_list(s.get("Action"))]
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Allow":
            continue
        location = where(source, index, statement)
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource"))

        if any(a in ("*", "*:*") for a in actions):
            findings.append(finding(RULES, "AWS004", location, "Action '*'"))
        if "NotAction" in statement or "NotResource" in statement:
            findings.append(finding(RULES, "AWS005", location, "use Action and Resource lists"))
        fenced = boundary_fence(statement.get("Condition"), boundaries)
        for escalation in ESCALATION:
            if any(matches(a, escalation) for a in actions) and not fenced:
                findings.append(finding(RULES, "AWS006", location, f"{escalation} without an iam:PermissionsBoundary condition"))
        if any(matches(a, "iam:PassRole") for a in actions) and "*" in resources:
            findings.append(finding(RULES, "AWS006", location, "iam:PassRole on Resource '*'"))
            compute = [c for c in PASSROLE_COMPUTE if any(matches(a, c) for a in allowed_anywhere)]
            if compute:
                findings.append(finding(RULES, "AWS006", location, f"iam:PassRole on '*' together with {', '.join(compute)}"))
        if tier == "readonly":
            for read in DATA_READS:
                if any(matches(a, read) for a in actions) and not any(matches(d, read) for d in denied):
                    findings.append(finding(RULES, "AWS007", location, read))
    return findings


def _props_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _lint_role(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    return lint_aws_trust(_props_json(props.get("assumeRolePolicy")), f"{name} assumeRolePolicy")


def _lint_policy(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    return lint_aws_permissions(_props_json(props.get("policy")), f"{name} policy", tier=tier)


def lint_managed_policy(arn: str, source: str, *, tier: Optional[str] = None) -> list[Finding]:
    """A managed policy attached by ARN, judged by its document (shipped AWS snapshot). One AWS manages that the
    snapshot lacks cannot be judged, and fails closed (AWS008) until the snapshot is refreshed."""
    from ..catalogue import aws_managed_policies

    if ":iam::aws:policy/" not in arn:
        return []  # a customer policy: the pack judges its own aws:iam/policy:Policy resource
    policy = aws_managed_policies().get(arn.rsplit("/", 1)[-1])
    if policy is None:
        return [finding(RULES, "AWS008", source, f"{arn} is not in linking's managed-policy snapshot")]
    return lint_aws_permissions(policy["document"], f"{source} ({arn})", tier=tier)


def _lint_role_and_its_policies(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    findings = _lint_role(props, name, tier)
    for index, inline in enumerate(props.get("inlinePolicies") or []):
        findings += lint_aws_permissions(_props_json((inline or {}).get("policy")), f"{name} inlinePolicies[{index}]", tier=tier)
    for arn in props.get("managedPolicyArns") or []:
        findings += lint_managed_policy(str(arn), f"{name} managedPolicyArns", tier=tier)
    return findings


def _lint_attachment(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    return lint_managed_policy(str(props.get("policyArn", "")), f"{name} policyArn", tier=tier)


RESOURCE_LINTERS = {
    "aws:iam/role:Role": _lint_role_and_its_policies,
    "aws:iam/rolePolicy:RolePolicy": _lint_policy,
    "aws:iam/userPolicy:UserPolicy": _lint_policy,
    "aws:iam/groupPolicy:GroupPolicy": _lint_policy,
    "aws:iam/policy:Policy": _lint_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _lint_attachment,
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": _lint_attachment,
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": _lint_attachment,
    "aws:iam/policyAttachment:PolicyAttachment": _lint_attachment,
}
"""Resource type -> lint of its properties, for the policy pack."""

"""Least-privilege lint: one rule engine for the stack program, `linking plan`/`diff` and the policy pack.

Each rule has a stable id and a severity. An error stops a link before anything
is registered, unless the stack waives it (``linking:link.waivers``) with a
reason; a waived error becomes a warning and is printed in the plan, the diff
and the link record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any, Iterable, Mapping, Optional

from .aws_iam import as_list

ERROR, WARNING = "error", "warning"

RULES: dict[str, tuple[str, str]] = {
    "AWS001": (ERROR, "trust allows a wildcard principal"),
    "AWS002": (WARNING, "trust allows an account root principal (every identity of that account that IAM lets assume roles)"),
    "AWS003": (ERROR, "trust has neither an sts:ExternalId condition nor OIDC sub and aud conditions"),
    "AWS004": (ERROR, "allows every action ('*' or '*:*')"),
    "AWS005": (ERROR, "Allow with NotAction or NotResource grants everything not listed"),
    "AWS006": (ERROR, "privilege escalation action not fenced by a permissions-boundary condition"),
    "AWS007": (ERROR, "readonly tier reads data"),
    "AZ001": (ERROR, "allows '*' or Microsoft.Authorization/*"),
    "AZ002": (WARNING, "may write role assignments without a condition on which roles"),
    "AZ003": (ERROR, "readonly tier has data actions or reads keys"),
    "GCP001": (ERROR, "basic role (owner, editor, viewer)"),
    "GCP002": (ERROR, "project-wide IAM escalation permission"),
    "GCP003": (ERROR, "readonly tier reads data"),
    "GCP004": (WARNING, "access by service account key (a long-lived secret)"),
    "K8S001": (ERROR, "every verb on every resource"),
    "K8S002": (WARNING, "escalate, bind or impersonate"),
    "K8S003": (ERROR, "readonly tier reads Secrets or opens pods (exec, attach, portforward)"),
    "K8S004": (WARNING, "a static token cannot honour expiresAt"),
}

# Public privilege-escalation research (Rhino Security Labs and successors): each alone, or PassRole with a
# compute action, lets a principal give itself more than it has.
AWS_ESCALATION = (
    "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:CreateAccessKey", "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile", "iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy",
    "iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy", "iam:CreateRole",
)
AWS_PASSROLE_COMPUTE = (
    "ec2:RunInstances", "lambda:CreateFunction", "lambda:UpdateFunctionConfiguration", "glue:CreateDevEndpoint",
    "cloudformation:CreateStack", "datapipeline:CreatePipeline", "ecs:RunTask", "ecs:RegisterTaskDefinition",
    "sagemaker:CreateNotebookInstance", "codebuild:CreateProject",
)
AWS_DATA_READS = (
    "s3:GetObject", "s3:GetObjectVersion", "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "kms:Decrypt", "dynamodb:GetItem",
    "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "sqs:ReceiveMessage", "logs:GetLogEvents",
    "logs:FilterLogEvents", "lambda:GetFunction", "ec2:GetPasswordData", "ec2:DescribeInstanceAttribute",
    "rds:DownloadDBLogFilePortion", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
)
GCP_ESCALATION = (
    "resourcemanager.projects.setIamPolicy", "iam.serviceAccountKeys.create", "iam.serviceAccounts.actAs",
    "iam.roles.update", "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.setIamPolicy",
)
GCP_DATA_READS = (
    "storage.objects.get", "storage.objects.list", "secretmanager.versions.access", "bigquery.tables.getData",
    "cloudkms.cryptoKeyVersions.useToDecrypt", "pubsub.subscriptions.consume", "logging.logEntries.list",
    "logging.privateLogEntries.list", "container.secrets.get", "container.secrets.list", "cloudsql.instances.export",
    "spanner.databases.read", "datastore.entities.get",
)
GCP_BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
K8S_READONLY_FORBIDDEN = ("secrets", "pods/exec", "pods/attach", "pods/portforward")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    location: str
    """The document and statement (or rule) at fault."""
    detail: str
    waiver: Optional[str] = None
    """The stack's reason, when an error was waived (it is then reported as a warning)."""

    @property
    def message(self) -> str:
        return f"{self.rule} {self.location}: {RULES[self.rule][1]}: {self.detail}"

    def render(self) -> str:
        return f"{self.severity}: {self.message}" + (f" (waived: {self.waiver})" if self.waiver else "")


def finding(rule: str, location: str, detail: str) -> Finding:
    return Finding(rule, RULES[rule][0], location, detail)


def _matches(pattern: str, action: str) -> bool:
    return fnmatchcase(action.lower(), pattern.lower())


def _where(source: str, index: int, statement: Mapping[str, Any]) -> str:
    return f"{source} Statement[{index}]" + (f" ({statement['Sid']})" if statement.get("Sid") else "")


# --- AWS -----------------------------------------------------------------------------------------------


def lint_aws_trust(document: Mapping[str, Any], source: str) -> list[Finding]:
    findings = []
    for index, statement in enumerate(as_list(document.get("Statement"))):
        if statement.get("Effect") != "Allow":
            continue
        where = _where(source, index, statement)
        principal = statement.get("Principal", {})
        values = [principal] if isinstance(principal, str) else [v for vs in principal.values() for v in as_list(vs)]
        if any("*" in str(v) for v in values):
            findings.append(finding("AWS001", where, f"Principal {json.dumps(principal)}"))
        if any(str(v).endswith(":root") for v in values):
            findings.append(finding("AWS002", where, f"Principal {json.dumps(principal)}"))
        keys = {k.lower() for op in (statement.get("Condition") or {}).values() for k in op}
        oidc = any(k.endswith(":sub") for k in keys) and any(k.endswith(":aud") for k in keys)
        if "sts:externalid" not in keys and not oidc:
            findings.append(finding("AWS003", where, "add sts:ExternalId (AWS principal) or the token's sub and aud (OIDC)"))
    return findings


def lint_aws_permissions(document: Mapping[str, Any], source: str, *, tier: Optional[str] = None) -> list[Finding]:
    findings = []
    statements = as_list(document.get("Statement"))
    denied = [a for s in statements if s.get("Effect") == "Deny" for a in as_list(s.get("Action"))]
    allowed_anywhere = [a for s in statements if s.get("Effect") == "Allow" for a in as_list(s.get("Action"))]
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Allow":
            continue
        where = _where(source, index, statement)
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource"))
        condition_keys = {k.lower() for op in (statement.get("Condition") or {}).values() for k in op}
        if any(a in ("*", "*:*") for a in actions):
            findings.append(finding("AWS004", where, "Action '*'"))
        if "NotAction" in statement or "NotResource" in statement:
            findings.append(finding("AWS005", where, "use Action and Resource lists"))
        fenced = "iam:permissionsboundary" in condition_keys
        for escalation in AWS_ESCALATION:
            if any(_matches(a, escalation) for a in actions) and not fenced:
                findings.append(finding("AWS006", where, f"{escalation} without an iam:PermissionsBoundary condition"))
        if any(_matches(a, "iam:PassRole") for a in actions) and "*" in resources:
            findings.append(finding("AWS006", where, "iam:PassRole on Resource '*'"))
            compute = [c for c in AWS_PASSROLE_COMPUTE if any(_matches(a, c) for a in allowed_anywhere)]
            if compute:
                findings.append(finding("AWS006", where, f"iam:PassRole on '*' together with {', '.join(compute)}"))
        if tier == "readonly":
            for read in AWS_DATA_READS:
                if any(_matches(a, read) for a in actions) and not any(_matches(d, read) for d in denied):
                    findings.append(finding("AWS007", where, read))
    return findings


# --- Azure ---------------------------------------------------------------------------------------------


def lint_azure(document: Mapping[str, Any], source: str, *, tier: Optional[str] = None,
               assignment_condition: Optional[str] = None) -> list[Finding]:
    findings = []
    actions = as_list(document.get("Actions"))
    not_actions = as_list(document.get("NotActions"))
    for action in actions:
        if action == "*" or action.lower().startswith("microsoft.authorization/*"):
            findings.append(finding("AZ001", f"{source} Actions", action))
    writes = "Microsoft.Authorization/roleAssignments/write"
    if any(_matches(a, writes) for a in actions) and not any(_matches(n, writes) for n in not_actions) and not assignment_condition:
        findings.append(finding("AZ002", f"{source} Actions", writes))
    if tier == "readonly":
        for data_action in as_list(document.get("DataActions")):
            findings.append(finding("AZ003", f"{source} DataActions", data_action))
        for action in actions:
            if "listkeys" in action.lower() or "/keys/" in action.lower():
                findings.append(finding("AZ003", f"{source} Actions", action))
    return findings


# --- GCP -----------------------------------------------------------------------------------------------


def lint_gcp(permissions: Iterable[str], source: str, *, tier: Optional[str] = None, access: Optional[str] = None,
             roles: Iterable[str] = ()) -> list[Finding]:
    findings = []
    permissions = list(permissions)
    for role in [*permissions, *roles]:
        if role in GCP_BASIC_ROLES:
            findings.append(finding("GCP001", source, role))
    for permission in GCP_ESCALATION:
        if permission in permissions:
            findings.append(finding("GCP002", f"{source} includedPermissions", permission))
    if tier == "readonly":
        for permission in GCP_DATA_READS:
            if permission in permissions:
                findings.append(finding("GCP003", f"{source} includedPermissions", permission))
    if access == "key":
        findings.append(finding("GCP004", source, "prefer impersonation or workload identity federation"))
    return findings


# --- Kubernetes ----------------------------------------------------------------------------------------


def lint_kubernetes(rules: Iterable[Mapping[str, Any]], source: str, *, tier: Optional[str] = None,
                    token_expiry: Optional[str] = None) -> list[Finding]:
    findings = []
    for index, rule in enumerate(rules):
        where = f"{source} rules[{index}]"
        verbs, resources = as_list(rule.get("verbs")), as_list(rule.get("resources"))
        if "*" in verbs and "*" in resources:
            findings.append(finding("K8S001", where, "verbs ['*'] on resources ['*']"))
        for verb in ("escalate", "bind", "impersonate"):
            if verb in verbs or ("*" in verbs and rule.get("apiGroups") in (["*"], ["rbac.authorization.k8s.io"])):
                findings.append(finding("K8S002", where, verb))
        if tier == "readonly":
            for resource in K8S_READONLY_FORBIDDEN:
                if resource in resources or "*" in resources:
                    findings.append(finding("K8S003", where, resource))
    if token_expiry:
        findings.append(finding(
            "K8S004", source,
            f"a service-account token does not expire, so Kubernetes will not end this access at {token_expiry}; "
            "use enabled: false (or credential none) to end it",
        ))
    return findings


# --- waivers ---------------------------------------------------------------------------------------------


def apply_waivers(findings: Iterable[Finding], waivers: Mapping[str, str]) -> list[Finding]:
    """A waived error becomes a warning that carries the stack's reason."""
    return [
        replace(f, severity=WARNING, waiver=waivers[f.rule]) if f.severity == ERROR and f.rule in waivers else f
        for f in findings
    ]


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]

"""GCP in the review: custom-role permissions as grants on the project, bindings and keys as trust."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..canonical import canonical_json
from ..planned import PlannedResource, plain
from . import owned

if TYPE_CHECKING:
    from ..review.per_provider import Extracted

REVIEWED_INPUTS: dict[str, tuple[str, ...]] = {
    "gcp:projects/iAMCustomRole:IAMCustomRole": ("permissions",),
    "gcp:projects/iAMMember:IAMMember": ("role", "member", "condition"),
    "gcp:projects/iAMBinding:IAMBinding": ("role", "members", "condition"),
    "gcp:serviceaccount/iAMMember:IAMMember": ("role", "member", "condition"),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (
        "attributeMapping", "attributeCondition", "aws", "oidc",
    ),
}
"""Inputs that say who gets which access: printed in full for review."""


def extract(resources: list[PlannedResource]) -> "Extracted":
    """The resources of one link or workload -> (grants, trust, conditions)."""
    roles = {r.outputs.get("name"): r for r in resources if r.type == "gcp:projects/iAMCustomRole:IAMCustomRole"}
    grants: list[dict[str, Any]] = []
    trust: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    for resource in resources:
        inputs = plain(resource.inputs)
        condition = (inputs.get("condition") or {}).get("expression")
        if resource.type in ("gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding"):
            scope = f"projects/{inputs['project']}"
            role = roles.get(inputs["role"])
            fence, expiry = owned.parts(inputs.get("condition"))
            if expiry:
                conditions.append({"on": inputs["role"], "expression": expiry})
            fenced = {"condition": fence} if fence else {}
            if role is None:  # a predefined or existing role: named, not expanded
                grants.append({"permission": inputs["role"], "scope": scope, **fenced})
            else:
                grants += [{"permission": p, "scope": scope, **fenced} for p in role.inputs["permissions"]]
        elif resource.type == "gcp:serviceaccount/iAMMember:IAMMember":
            trust.append({"kind": "binding", "member": inputs["member"], "role": inputs["role"], "condition": condition})
        elif resource.type == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
            trust.append({"kind": "workload-identity-provider", "member": canonical_json(inputs.get("aws") or inputs.get("oidc")),
                          "role": "", "condition": inputs.get("attributeCondition")})
        elif resource.type == "gcp:serviceaccount/key:Key":
            trust.append({"kind": "key", "member": "holder of the key", "role": "", "condition": None})
    return grants, trust, conditions


def grant_text(grant: dict[str, Any]) -> str:
    return f"{grant['permission']} on {grant['scope']}"


def grant_group(grant: dict[str, Any]) -> str:
    return str(grant["permission"]).split(".")[0]


def grant_risks(grant: dict[str, Any]) -> list[str]:
    """Why a newly granted entry needs a second reviewer (empty when it does not)."""
    risks = []
    permission = grant["permission"]
    if permission.endswith(".setIamPolicy") or (permission.startswith("iam.") and not permission.endswith((".get", ".list"))):
        risks.append(f"new IAM write: {permission}")
    if permission in ("roles/owner", "roles/editor"):
        risks.append(f"basic role: {permission}")
    elif permission.startswith("roles/"):  # a predefined role: judged by the permissions it holds (shipped data)
        from .catalogue import gcp_predefined_roles

        held = (gcp_predefined_roles().get(permission) or {}).get("permissions", [])
        powerful = sorted(p for p in held if p.endswith(".setIamPolicy") or p in IMPERSONATION)
        if powerful:
            shown = ", ".join(powerful[:4]) + (f" and {len(powerful) - 4} more" if len(powerful) > 4 else "")
            risks.append(f"role {permission} changes IAM or acts as other identities: {shown}")
        from .lint import lint_gcp  # the lint's own data-read classification

        data = sorted({f.detail for f in lint_gcp(held, permission, tier="readonly") if f.rule == "GCP003"})
        if data:
            risks.append(f"role {permission} reads data: {', '.join(data[:4])}" + (f" and {len(data) - 4} more" if len(data) > 4 else ""))
    return risks


IMPERSONATION = frozenset({
    "iam.serviceAccounts.actAs", "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken",
    "iam.serviceAccounts.implicitDelegation", "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt",
    "iam.serviceAccountKeys.create",
})
"""Permissions that let a holder act as another service account (Google's service-account impersonation docs)."""


def revision_risks(added: list[dict[str, Any]], removed: list[dict[str, Any]]) -> list[str]:
    """A permission bound on the link's names before and on the whole project now: its name fence dropped."""
    fenced_before = {grant["permission"] for grant in removed if grant.get("condition")}
    return [f"name fence dropped: {grant['permission']} on every resource of the project"
            for grant in added if not grant.get("condition") and grant["permission"] in fenced_before]


def effective_risks(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> list[str]:
    """None: this cloud's grants name no wildcards to expand beyond what `grant_risks` sees of each."""
    return []


def fleet_risks(entry: dict[str, Any], fleet: list[dict[str, Any]]) -> list[str]:
    """None: this cloud's links never share names with another link of the same target."""
    return []

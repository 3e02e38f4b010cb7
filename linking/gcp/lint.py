"""GCP lint rules: custom-role permissions, roles granted, access modes."""

from __future__ import annotations

import json
import re

from typing import Any, Mapping, Iterable, Optional

from .settings import GcpSettings
from ..findings import Finding, finding, load_rules
from .documents import BASIC_ROLES

RULES = load_rules("linking.gcp")
"""This cloud's rules: ``linking/gcp/rules.json``."""

def lint_gcp_settings(settings: GcpSettings, *, tier: Optional[str]) -> list[Finding]:
    """Findings about the link's GCP settings rather than a document."""
    if tier == "admin" and settings.scope == "wide":
        return [finding(RULES, "GCP005", "linking:link.gcp.scope", "policy_docs/gcp/admin-wide.yaml instead of the project tier")]
    return []


def lint_gcp(permissions: Iterable[str], source: str, *, tier: Optional[str] = None, access: Optional[str] = None,
             roles: Iterable[str] = (), custom_role: bool = False, kept: Iterable[str] = (),
             service_account: Optional[str] = None) -> list[Finding]:
    """``custom_role``: the permissions form a project-level custom role (the link's tier), so each must be usable
    in one (shipped snapshot of the IAM API's testable permissions). ``kept``: what the tier's ledger keeps, with
    its reason (GCP008 accepts exactly that). ``service_account``: the permissions are granted on that one account
    only, so an escalation method made of acting as a service account acts as that one (GCP009)."""
    findings = []
    permissions = list(permissions)
    for role in [*permissions, *roles]:
        if role in BASIC_ROLES:
            findings.append(finding(RULES, "GCP001", source, role))
    from ..catalogue import risk_classes
    from .catalogue import gcp_escalation_methods

    held = set(permissions)
    # Acting as a service account by a permission the methods lack (getOpenIdToken: an ID token is the account's
    # identity) is a method of its own, sourced in risk-classes.json.
    impersonation = {permission: [permission] for permission in risk_classes("gcp").get("impersonation", {})}
    # A method's full list is how its author exploited it, not what it needs: creating a resource that runs as the
    # account it is given needs that create and actAs alone (Google's attach-service-accounts page; a startup
    # script is part of the create), so fewer permissions than CreateGCEInstanceWithSA lists still escalate.
    attached = {f"{permission} as an attached account": ["iam.serviceAccounts.actAs", permission]
                for permission in risk_classes("gcp").get("runs_as_attached_account", {})}
    for method, needed in sorted({**gcp_escalation_methods(), **impersonation, **attached}.items()):
        if set(needed) <= held:
            if service_account and all(p.startswith("iam.serviceAccounts.") and not p.endswith(".setIamPolicy") for p in needed):
                findings.append(finding(RULES, "GCP009", f"{source} includedPermissions", f"{method} on {service_account} [class: impersonation]"))
            else:
                findings.append(finding(RULES, "GCP002", f"{source} includedPermissions", f"{method}: {', '.join(needed)} [class: privesc]"))
    # Google names every IAM-policy write <service>.<resource>.setIamPolicy: the name is the classification.
    for permission in sorted(p for p in held if p.endswith(".setIamPolicy")):
        findings.append(finding(RULES, "GCP007", f"{source} includedPermissions", f"{permission} [class: resource exposure]"))
    classes = risk_classes("gcp")
    for permission in sorted(held & set(classes["code_execution"]) - set(kept)):
        findings.append(finding(RULES, "GCP008", f"{source} includedPermissions", f"{permission} [class: code execution as a service account]"))
    if tier == "readonly":
        from .classes import permission_class

        for permission in sorted(held - set(kept)):
            verdict = permission_class(permission)
            if verdict is not None and verdict.klass in ("data", "credential"):
                findings.append(finding(RULES, "GCP003", f"{source} includedPermissions",
                                        f"{permission} [class: {'data read' if verdict.klass == 'data' else 'credential read'}]"))
    if custom_role:
        from .catalogue import gcp_custom_role_support

        support = gcp_custom_role_support()
        for permission in permissions:
            level = support.get(permission)
            if level is None or level == "NOT_SUPPORTED":
                reason = "not testable on a project" if level is None else "NOT_SUPPORTED in custom roles"
                findings.append(finding(RULES, "GCP006", f"{source} includedPermissions", f"{permission} ({reason})"))
    if access == "key":
        findings.append(finding(RULES, "GCP004", source, "prefer impersonation or workload identity federation"))
    return findings


def _lint_custom_role(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    """A custom role; one of a tier we ship is known by its title and keeps what that tier's ledger keeps."""
    from .shipped import kept_by_shipped_tier, tier_of_title

    permissions = [str(p) for p in props.get("permissions") or []]
    return lint_gcp(permissions, f"{name} permissions", tier=tier or tier_of_title(props.get("title")), custom_role=True,
                    kept=kept_by_shipped_tier(permissions, props.get("title")))


PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def _lint_member(props: Mapping[str, Any], name: str, tier: Optional[str], service_account: Optional[str] = None) -> list[Finding]:
    """A member or binding: its role (basic roles), and a predefined role by the permissions it holds.
    ``service_account``: the grant is on that one account (and given to no public member)."""
    role = str(props.get("role", ""))
    from .catalogue import gcp_predefined_roles

    held = (gcp_predefined_roles().get(role) or {}).get("permissions", [])
    members = [str(m) for m in [props.get("member"), *(props.get("members") or [])] if m]
    on_one = service_account if service_account and not set(members) & set(PUBLIC_MEMBERS) else None
    return lint_gcp(held, f"{name} role {role}", tier=tier, roles=[role], service_account=on_one)


def _lint_service_account_member(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    return _lint_member(props, name, tier, service_account=str(props.get("serviceAccountId") or "") or None)


def _lint_policy_data(props: Mapping[str, Any], name: str, tier: Optional[str], service_account: Optional[str] = None) -> list[Finding]:
    """An IAM policy resource (``policyData``, JSON): every binding's role."""
    try:
        bindings = json.loads(props.get("policyData") or "{}").get("bindings") or []
    except (ValueError, AttributeError):
        return []
    return [f for index, b in enumerate(bindings)
            for f in _lint_member(b or {}, f"{name} bindings[{index}]", tier, service_account)]


def _lint_service_account_policy(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    return _lint_policy_data(props, name, tier, service_account=str(props.get("serviceAccountId") or "") or None)


def _catalogued_bindings() -> dict[str, Any]:
    """Every IAM member, binding and policy type of the GCP provider (the access catalogue, derived from its SDK):
    organization, folder, project and each resource's, judged by the roles they bind."""
    from ..catalogue import access_resource_types

    found: dict[str, Any] = {}
    for resource_type in access_resource_types()["gcp"]:
        kind = resource_type.rsplit(":", 1)[-1]
        if re.search(r"I[Aa][Mm](Member|Binding)$", kind):
            found[resource_type] = _lint_member
        elif re.search(r"I[Aa][Mm]Policy$", kind):
            found[resource_type] = _lint_policy_data
    return found


RESOURCE_LINTERS = {
    **_catalogued_bindings(),
    "gcp:projects/iAMCustomRole:IAMCustomRole": _lint_custom_role,
    **dict.fromkeys((
        "gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding",
        "gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding",
        "gcp:organizations/iAMMember:IAMMember", "gcp:folder/iAMMember:IAMMember",
    ), _lint_member),
    **dict.fromkeys(("gcp:serviceaccount/iAMMember:IAMMember", "gcp:serviceaccount/iAMBinding:IAMBinding"), _lint_service_account_member),
    **dict.fromkeys(("gcp:projects/iAMPolicy:IAMPolicy", "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"), _lint_policy_data),
    "gcp:serviceaccount/iAMPolicy:IAMPolicy": _lint_service_account_policy,
}
"""Resource type -> lint of its properties, for the policy pack."""

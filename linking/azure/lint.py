"""Azure lint rules: role definitions and the role-assignment condition."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ..canonical import as_list
from ..config import AzureSettings
from ..findings import ERROR, WARNING, Finding, finding, matches

RULES = {
    "AZ001": (ERROR, "allows '*' or Microsoft.Authorization/*"),
    "AZ002": (WARNING, "may write role assignments without a condition on which roles"),
    "AZ003": (ERROR, "readonly tier has data actions or reads keys"),
    "AZ004": (WARNING, "azure.scope: subscription: the admin tier works across the whole subscription, not in its own resource groups"),
}

def lint_azure_settings(settings: AzureSettings, *, tier: Optional[str]) -> list[Finding]:
    """Findings about the link's Azure settings rather than a document."""
    if tier == "admin" and settings.scope == "subscription":
        return [finding(RULES, "AZ004", "linking:link.azure.scope", "the admin role is assigned at /subscriptions/<id>")]
    return []


def lint_azure(document: Mapping[str, Any], source: str, *, tier: Optional[str] = None,
               assignment_condition: Optional[str] = None) -> list[Finding]:
    findings = []
    actions = as_list(document.get("Actions"))
    not_actions = as_list(document.get("NotActions"))
    for action in actions:
        if action == "*" or action.lower().startswith("microsoft.authorization/*"):
            findings.append(finding(RULES, "AZ001", f"{source} Actions", action))
    writes = "Microsoft.Authorization/roleAssignments/write"
    if any(matches(a, writes) for a in actions) and not any(matches(n, writes) for n in not_actions) and not assignment_condition:
        findings.append(finding(RULES, "AZ002", f"{source} Actions", writes))
    if tier == "readonly":
        for data_action in as_list(document.get("DataActions")):
            findings.append(finding(RULES, "AZ003", f"{source} DataActions", data_action))
        for action in actions:
            if "listkeys" in action.lower() or "/keys/" in action.lower():
                findings.append(finding(RULES, "AZ003", f"{source} Actions", action))
    return findings


def _document(permissions: Any) -> dict[str, Any]:
    """A role definition's ``permissions`` blocks as one document of Actions, NotActions, DataActions, NotDataActions."""
    document: dict[str, Any] = {"Actions": [], "NotActions": [], "DataActions": [], "NotDataActions": []}
    for permission in permissions or []:
        for key, prop in (("Actions", "actions"), ("NotActions", "notActions"), ("DataActions", "dataActions"), ("NotDataActions", "notDataActions")):
            document[key] += permission.get(prop) or []
    return document


def _lint_role_definition(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    # The condition lives on the role assignment, which the pack does not see with the definition.
    return [f for f in lint_azure(_document(props.get("permissions")), f"{name} permissions", tier=tier) if f.rule != "AZ002"]


def _lint_role_assignment(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    """An assignment of a built-in role (by id), judged by the role's definition (shipped snapshot)."""
    from ..catalogue import azure_built_in_roles

    role = azure_built_in_roles().get(str(props.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower())
    if role is None:
        return []  # a custom role: the pack judges its RoleDefinition resource
    return lint_azure(_document(role["permissions"]), f"{name} ({role['roleName']})", tier=tier, assignment_condition=props.get("condition"))


RESOURCE_LINTERS = {
    "azure-native:authorization:RoleDefinition": _lint_role_definition,
    "azure-native:authorization:RoleAssignment": _lint_role_assignment,
}
"""Resource type -> lint of its properties, for the policy pack."""

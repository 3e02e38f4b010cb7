"""Azure lint rules: role definitions and the role-assignment condition."""

from __future__ import annotations

import functools
from typing import Any, Iterable, Mapping, Optional

from ..canonical import as_list
from .settings import AzureSettings
from ..findings import Finding, finding, load_rules

RULES = load_rules("linking.azure")
"""This cloud's rules: ``linking/azure/rules.json``."""

def lint_azure_settings(settings: AzureSettings, *, tier: Optional[str]) -> list[Finding]:
    """Findings about the link's Azure settings rather than a document."""
    if tier == "admin" and settings.scope == "subscription":
        return [finding(RULES, "AZ004", "linking:link.azure.scope", "the admin role is assigned at /subscriptions/<id>")]
    return []


@functools.cache
def _by_class() -> dict[str, frozenset[str]]:
    from .catalogue import shipped_catalogues
    from .classes import operation_class

    by_class: dict[str, set[str]] = {}
    for op in shipped_catalogues()["azure"].entries:
        verdict = operation_class(op)
        by_class.setdefault(verdict.klass if verdict else "unclassified", set()).add(op)
    return {name: frozenset(ops) for name, ops in by_class.items()}


def classed(class_name: str) -> frozenset[str]:
    """The control-plane operations of the shipped catalogue in a class (``linking/azure/classes.py``), lower case."""
    return _by_class().get(class_name, frozenset())


def lint_azure(document: Mapping[str, Any], source: str, *, tier: Optional[str] = None,
               assignment_condition: Optional[str] = None, kept: Iterable[str] = ()) -> list[Finding]:
    """Role definition rules. Wildcards are expanded over the shipped operation catalogue (Azure compares without
    case), so ``*/write`` or ``Microsoft.Authoriz*/write`` is judged by the operations it reaches; whether an
    operation is data plane is Microsoft's own flag in that catalogue (DataActions)."""
    findings = []
    actions = as_list(document.get("Actions"))
    not_actions = as_list(document.get("NotActions"))
    effective = effective_operations(actions, not_actions, "control")
    for action in actions:
        if action == "*" or action.lower().startswith("microsoft.authorization/*"):
            findings.append(finding(RULES, "AZ001", f"{source} Actions", f"{action} [class: permissions management]"))
    authorization = sorted(
        op for op in effective
        if op.startswith("microsoft.authorization/") and not op.endswith("/read") and op not in DELEGATION_OPERATIONS
    )
    if authorization and not any(f.rule == "AZ001" for f in findings):
        findings.append(finding(RULES, "AZ001", f"{source} Actions", f"reaches {', '.join(authorization[:5])}"
                                + (f" and {len(authorization) - 5} more" if len(authorization) > 5 else "") + " [class: permissions management]"))
    if ROLE_ASSIGNMENT_WRITE in effective and not assignment_condition:
        findings.append(finding(RULES, "AZ002", f"{source} Actions", "Microsoft.Authorization/roleAssignments/write"))
    data_actions = as_list(document.get("DataActions"))
    accepted = {k.lower() for k in kept}
    credentials = effective & classed("credential") - accepted
    data = effective & classed("data") - accepted
    if tier == "readonly":
        for data_action in data_actions:
            findings.append(finding(RULES, "AZ003", f"{source} DataActions", f"{data_action} [class: data read]"))
        # Azure names every operation .../read, /write, /delete or /action: a readonly tier has only reads.
        for op in sorted(op for op in effective if not op.endswith("/read")):
            findings.append(finding(RULES, "AZ003", f"{source} Actions", f"{op} [class: not a read]"))
        findings += _grouped("AZ003", f"{source} Actions", {op for op in data | credentials if op.endswith("/read")},
                             "data or credential read")
    else:
        # Data is what a workload's or a custom tier's grant is for; the shipped tiers' data is decided by their
        # class test (tests/azure/test_operation_classes.py), a credential everywhere.
        findings += _grouped("AZ006", f"{source} Actions", credentials, "credentials exposure")
        findings += _grouped("AZ007", f"{source} Actions", effective & classed("code_execution") - accepted, "code execution")
    if tier != "readonly" and any("*" in d for d in data_actions):
        reached = effective_operations(data_actions, as_list(document.get("NotDataActions")), "data")
        findings.append(finding(RULES, "AZ005", f"{source} DataActions", f"{', '.join(d for d in data_actions if '*' in d)} reaches {len(reached)} data operations [class: data access]"))
    return findings


GROUPED_AFTER = 5
"""A role reaching more operations of a class than this gets one finding naming the first ones (``*/read`` reaches
hundreds), not one each."""


def _grouped(rule: str, location: str, operations: Iterable[str], klass: str) -> list[Finding]:
    """Action, write and delete operations first: they are what a reader of the finding most needs to see."""
    ordered = sorted(operations, key=lambda op: (op.endswith("/read"), op))
    if len(ordered) <= GROUPED_AFTER:
        return [finding(RULES, rule, location, f"{op} [class: {klass}]") for op in ordered]
    shown = ", ".join(ordered[:GROUPED_AFTER])
    return [finding(RULES, rule, location, f"reaches {shown} and {len(ordered) - GROUPED_AFTER} more [class: {klass}]")]


ROLE_ASSIGNMENT_WRITE = "microsoft.authorization/roleassignments/write"
DELEGATION_OPERATIONS = (ROLE_ASSIGNMENT_WRITE, "microsoft.authorization/roleassignments/delete")
"""Judged by AZ002 and the delegation condition instead."""


def effective_operations(patterns: list[str], excluded: list[str], plane: str) -> frozenset[str]:
    return _effective_cached(tuple(patterns), tuple(excluded), plane)


@functools.lru_cache(maxsize=256)
def _effective_cached(patterns: tuple[str, ...], excluded: tuple[str, ...], plane: str) -> frozenset[str]:
    """Lower-case operations the patterns reach minus the excluded ones, over the shipped catalogue; a literal the
    catalogue lacks is kept as written (the existence check reports it)."""
    from .catalogue import shipped_catalogues

    catalogue = shipped_catalogues()["azure" if plane == "control" else "azure-data"]
    reached = {m for p in patterns for m in (catalogue.matches(p) or ([p.lower()] if "*" not in p else []))}
    return frozenset(reached - {m for p in excluded for m in (catalogue.matches(p) or [p.lower()])})


def _document(permissions: Any) -> dict[str, Any]:
    """A role definition's ``permissions`` blocks as one document of Actions, NotActions, DataActions, NotDataActions."""
    document: dict[str, Any] = {"Actions": [], "NotActions": [], "DataActions": [], "NotDataActions": []}
    for permission in permissions or []:
        for key, prop in (("Actions", "actions"), ("NotActions", "notActions"), ("DataActions", "dataActions"), ("NotDataActions", "notDataActions")):
            document[key] += permission.get(prop) or []
    return document


def _lint_role_definition(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    """A role definition; one of a tier we ship is known by its name and keeps what that tier's ledger keeps. The
    condition lives on the role assignment, which the pack does not see with the definition (no AZ002 here)."""
    from .shipped import kept_by_shipped_tier, tier_of_name

    document, role_name = _document(props.get("permissions")), props.get("roleName")
    return [f for f in lint_azure(document, f"{name} permissions", tier=tier or tier_of_name(role_name),
                                  kept=kept_by_shipped_tier(document, role_name)) if f.rule != "AZ002"]


def _lint_role_assignment(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    """An assignment of a built-in role (by id), judged by the role's definition (shipped snapshot)."""
    from .catalogue import azure_built_in_roles

    role = azure_built_in_roles().get(str(props.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower())
    if role is None:
        return []  # a custom role: the pack judges its RoleDefinition resource
    return lint_azure(_document(role["permissions"]), f"{name} ({role['roleName']})", tier=tier, assignment_condition=props.get("condition"))


RESOURCE_LINTERS = {
    "azure-native:authorization:RoleDefinition": _lint_role_definition,
    "azure-native:authorization:RoleAssignment": _lint_role_assignment,
}
"""Resource type -> lint of its properties, for the policy pack."""

"""Azure in the review: role-definition operations as grants at the assignment scope, federated credentials as trust."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..planned import PlannedResource, plain

if TYPE_CHECKING:
    from ..review.per_provider import Extracted

REVIEWED_INPUTS: dict[str, tuple[str, ...]] = {
    "azure-native:authorization:RoleDefinition": ("roleName", "permissions", "assignableScopes"),
    "azure-native:authorization:RoleAssignment": ("scope", "roleDefinitionId", "principalType", "condition"),
    "azure-native:managedidentity:FederatedIdentityCredential": ("issuer", "subject", "audiences"),
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": (
        "issuer", "subject", "audiences",
    ),
    "azuread:index/applicationPassword:ApplicationPassword": ("endDate",),
}
"""Inputs that say who gets which access: printed in full for review."""


def extract(resources: list[PlannedResource]) -> "Extracted":
    """The resources of one link or workload -> (grants, trust, conditions)."""
    definitions = {r.outputs.get("id"): r for r in resources if r.type == "azure-native:authorization:RoleDefinition"}
    grants: list[dict[str, Any]] = []
    trust: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    kinds = {"actions": "action", "notActions": "notAction", "dataActions": "dataAction", "notDataActions": "notDataAction"}
    for resource in resources:
        inputs = plain(resource.inputs)
        if resource.type == "azure-native:authorization:RoleAssignment":
            definition = definitions.get(inputs["roleDefinitionId"])
            if inputs.get("condition"):
                conditions.append({"on": inputs["roleDefinitionId"], "expression": inputs["condition"]})
            if definition is None:  # a role defined elsewhere (built-in): named, not expanded
                grants.append({"kind": "role", "operation": inputs["roleDefinitionId"], "scope": inputs["scope"]})
                continue
            for permission in definition.inputs.get("permissions", []):
                for key, kind in kinds.items():
                    for operation in permission.get(key, []):
                        grants.append({"kind": kind, "operation": operation, "scope": inputs["scope"]})
        elif resource.type in (
            "azure-native:managedidentity:FederatedIdentityCredential",
            "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
        ):
            trust.append(
                {"kind": "federated-credential", "issuer": inputs["issuer"], "subject": inputs["subject"], "audiences": ",".join(inputs["audiences"])}
            )
        elif resource.type == "azuread:index/applicationPassword:ApplicationPassword":
            trust.append({"kind": "client-secret", "endDate": inputs.get("endDate")})
    return grants, trust, conditions


def grant_text(grant: dict[str, Any]) -> str:
    return f"{grant['kind']} {grant['operation']} at {grant['scope']}"


def grant_group(grant: dict[str, Any]) -> str:
    return f"{grant['kind']} {grant['operation'].split('/')[0]}"


def grant_risks(grant: dict[str, Any]) -> list[str]:
    """Why a newly granted entry needs a second reviewer (empty when it does not)."""
    risks = []
    operation = grant["operation"]
    if grant["kind"] in ("action", "dataAction") and "*" in operation and operation != "*/read":
        risks.append(f"new wildcard: {operation}")
    if grant["kind"] == "action" and operation.lower().startswith(("microsoft.authorization/", "*")) and not operation.lower().endswith("/read"):
        risks.append(f"new role-assignment write: {operation}")
    if grant["kind"] == "role":  # a built-in role by id: judged by the operations it holds (shipped data)
        from .catalogue import azure_built_in_roles

        role = azure_built_in_roles().get(operation.rsplit("/", 1)[-1].lower()) or {}
        held = [(kind, op) for p in role.get("permissions", []) for kind in ("actions", "dataActions") for op in p.get(kind, [])]
        powerful = sorted(
            op for kind, op in held
            if op == "*" or (kind == "actions" and op.lower().startswith("microsoft.authorization/") and not op.lower().endswith("/read"))
        )
        if powerful:
            risks.append(f"built-in role {role.get('roleName', operation)} grants {', '.join(powerful[:4])}")
        data = sorted(op for kind, op in held if kind == "dataActions")
        if data:
            risks.append(f"built-in role {role.get('roleName', operation)} acts on data: {', '.join(data[:4])}")
    return risks


def revision_risks(added: list[dict[str, Any]], removed: list[dict[str, Any]]) -> list[str]:
    """An exclusion dropped (``notActions``, ``notDataActions``) widens what the role's wildcards grant."""
    del added
    return [f"exclusion removed: {grant_text(g)}" for g in removed if g["kind"] in ("notAction", "notDataAction")]


def effective_risks(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> list[str]:
    """None: this cloud's grants name no wildcards to expand beyond what `grant_risks` sees of each."""
    return []


def fleet_risks(entry: dict[str, Any], fleet: list[dict[str, Any]]) -> list[str]:
    """None: this cloud's links never share names with another link of the same target."""
    return []

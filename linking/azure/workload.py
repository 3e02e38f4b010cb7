"""A linked service account's Azure identity (AKS workload identity): its checks (no SDK) and its managed identity."""

from __future__ import annotations

from typing import Any, Optional

import pulumi

from ..names import deterministic_guid, short_hash
from .settings import AzureWorkload

AUDIENCE = "api://AzureADTokenExchange"


def checks(settings: AzureWorkload, key_path: str) -> tuple[list[tuple[list[Any], list[str | int], Any]], Optional[dict[str, Any]]]:
    """(findings, where, value) for each role assignment, by the built-in role's definition; no inline document."""
    from .lint import RESOURCE_LINTERS

    assign = RESOURCE_LINTERS["azure-native:authorization:RoleAssignment"]
    found: list[tuple[list[Any], list[str | int], Any]] = []
    for index, assignment in enumerate(settings.role_assignments):
        props = {"roleDefinitionId": assignment.role_definition_id, "condition": "the assignment is the workload's own"}
        found.append((assign(props, assignment.role_definition_id, None), ["roleAssignments", index, "roleDefinitionId"],
                      assignment.role_definition_id))
    return found, None


def identity(name: str, spec: Any, issuer: Any, inline_policy: Optional[dict[str, Any]], tags: dict[str, str],
             child: pulumi.ResourceOptions) -> tuple[pulumi.Output[str], dict[str, Any], dict[str, str]]:
    """The managed identity the ServiceAccount signs in as (its client id), and the annotation and label AKS reads."""
    from pulumi_azure_native import authorization

    from .component import federated_identity

    settings: AzureWorkload = spec.azure
    managed = federated_identity(
        name,
        identity_name=f"linking-{spec.namespace}-{spec.name}",
        resource_group_name=settings.resource_group_name,
        location=settings.location,
        tags=tags,
        opts=child,
        federation=(f"{spec.namespace}-{spec.name}"[:120], issuer, spec.subject, AUDIENCE),
    )
    for grant in settings.role_assignments:
        role_id = grant.role_definition_id.rsplit("/", 1)[-1].lower()
        authorization.RoleAssignment(
            f"{name}-role-{short_hash(role_id, grant.scope.lower())}",
            role_assignment_name=deterministic_guid(settings.subscription_id, spec.namespace, spec.name, role_id, grant.scope),
            scope=grant.scope,
            role_definition_id=f"/subscriptions/{settings.subscription_id.lower()}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
            principal_id=managed.principal_id,
            principal_type="ServicePrincipal",
            opts=child,
        )
    return managed.client_id, {"azure.workload.identity/client-id": managed.client_id}, {"azure.workload.identity/use": "true"}

"""What ARM and Entra would answer, offline: ids shaped as they return them, object ids as stable GUIDs."""

from __future__ import annotations

from typing import Any, Optional

from ..contract import SECRET_PLACEHOLDER
from ..names import deterministic_guid

PACKAGES = ("azure-native", "azuread")
AMBIENT = {"azure_subscription_id": "00000000-0000-0000-0000-000000000000", "azure_tenant_id": "00000000-0000-0000-0000-000000000000"}
"""What the invokes answer when the stack names no subscription or tenant (`linking.planned.Ambient`)."""


def _subscription(ambient: Any) -> str:
    return ambient.get("azure_subscription_id", AMBIENT["azure_subscription_id"])


def _tenant(ambient: Any) -> str:
    return ambient.get("azure_tenant_id", AMBIENT["azure_tenant_id"])


def outputs(typ: str, name: str, inputs: dict[str, Any], ambient: Any) -> Optional[tuple[str, dict[str, Any]]]:
    out = dict(inputs)
    subscription = f"/subscriptions/{_subscription(ambient)}"
    guid = deterministic_guid("offline-plan", name)
    if typ == "azure-native:resources:ResourceGroup":
        out.update(name=out["resourceGroupName"], id=f"{subscription}/resourceGroups/{out['resourceGroupName']}")
    elif typ == "azure-native:managedidentity:UserAssignedIdentity":
        out.update(
            name=out["resourceName"],
            id=f"{subscription}/resourceGroups/{out['resourceGroupName']}/providers/Microsoft.ManagedIdentity"
            f"/userAssignedIdentities/{out['resourceName']}",
            clientId=deterministic_guid("client", guid),
            principalId=deterministic_guid("principal", guid),
            tenantId=_tenant(ambient),
        )
    elif typ == "azure-native:authorization:RoleDefinition":
        out["id"] = f"{out['scope']}/providers/Microsoft.Authorization/roleDefinitions/{out['roleDefinitionId']}"
    elif typ == "azure-native:authorization:RoleAssignment":
        out["id"] = f"{out['scope']}/providers/Microsoft.Authorization/roleAssignments/{out['roleAssignmentName']}"
    elif typ == "azure-native:containerservice:ManagedCluster" and (out.get("oidcIssuerProfile") or {}).get("enabled"):
        # AKS's issuer URL, as Azure computes it
        out["oidcIssuerProfile"] = {**out["oidcIssuerProfile"], "issuerURL":
                                    f"https://{out.get('location', 'westeurope')}.oic.prod-aks.azure.com/{_tenant(ambient)}/{guid}/"}
    elif typ == "azure-native:subscription:Alias":  # a vended subscription: its id comes back in properties
        out.update(id=f"/providers/Microsoft.Subscription/aliases/{out.get('aliasName', name)}",
                   properties={**(out.get("properties") or {}), "subscriptionId": deterministic_guid("subscription", guid)})
    elif typ == "azuread:index/application:Application":
        out.update(clientId=deterministic_guid("client", guid), objectId=guid, id=f"/applications/{guid}")
    elif typ == "azuread:index/servicePrincipal:ServicePrincipal":
        out.update(objectId=guid, id=guid)
    elif typ == "azuread:index/applicationPassword:ApplicationPassword":
        out.update(value=SECRET_PLACEHOLDER, keyId=guid)
    return out.get("id", guid), out


def invoke(token: str, args: dict[str, Any], ambient: Any) -> Optional[dict[str, Any]]:
    if token == "azure-native:authorization:getClientConfig":
        return {
            "clientId": deterministic_guid("offline-plan", "client"),
            "objectId": deterministic_guid("offline-plan", "object"),
            "subscriptionId": _subscription(ambient),
            "tenantId": _tenant(ambient),
        }
    return None

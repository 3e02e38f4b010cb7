"""AzureSubscriptionLink: keyless identity, custom role with a deterministic GUID, constrained assignment."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from linking.azure import documents as azure_rbac
from linking.azure import render_role_definition, workload_roles
from linking.canonical import canonical_json
from linking.errors import LinkConfigError
from linking.plan.runtime import Ambient
from linking.plan.stackfile import plan_stack_file
from linking.plan.values import Secret
from linking.policy import builtin_document_path
from linking.validation import load_schema

from linking.catalogue import Catalogue, azure_built_in_roles
from ..conftest import REPO

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
TENANT = "66666666-7777-8888-9999-000000000000"
GROUP = "azure-native:resources:ResourceGroup"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
FEDERATED = "azure-native:managedidentity:FederatedIdentityCredential"
ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APP_FEDERATED = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"

BASE: dict[str, Any] = {
    "id": "acme-prod",
    "provider": "azure",
    "tier": "admin",
    "owner": "platform@acme.example",
    "controlPlane": {"oidc": {"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:acme/cp:environment:prod"}},
    "azure": {"subscriptionId": SUBSCRIPTION, "tenantId": TENANT, "location": "westeurope"},
}


@pytest.fixture
def az_link() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def rendered(tier: str):
    return render_role_definition(builtin_document_path("azure", tier), "acme-prod", SUBSCRIPTION, f"policy_docs/azure/{tier}")


# --- documents --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", ["admin", "readonly"])
def test_role_definitions_match_golden(tier, golden):
    golden(f"azure/{tier}.json", canonical_json(rendered(tier).document, pretty=True))


@pytest.fixture(scope="module")
def azure_catalogues(catalogues: dict[str, Catalogue]) -> dict[str, Catalogue]:
    return {"control": catalogues["azure"], "data": catalogues["azure-data"]}


# Operations the catalogue (dated 2024-11 to 2026-08) does not list although Azure has them. Empty: keep it so,
# and give a reason for any entry.
CATALOGUE_GAPS: dict[str, str] = {}


@pytest.mark.parametrize("tier", ["admin", "readonly"])
def test_every_operation_exists_in_the_azure_catalogue(tier, azure_catalogues):
    document = rendered(tier).document
    control = [op for key in ("Actions", "NotActions") for op in document[key] if op not in CATALOGUE_GAPS]
    data = [op for key in ("DataActions", "NotDataActions") for op in document[key] if op not in CATALOGUE_GAPS]
    assert azure_catalogues["control"].unknown(control) == []
    assert azure_catalogues["data"].unknown(data) == []


def test_catalogue_catches_a_typo(azure_catalogues):
    assert azure_catalogues["control"].unknown(["Microsoft.Compute/virtualMachine/read", "Microsoft.Compute/virtualMachines/read"]) == [
        "Microsoft.Compute/virtualMachine/read"
    ]


def test_admin_has_no_owner_wildcards_and_no_key_listing():
    document = rendered("admin").document
    assert "*" not in document["Actions"]
    assert not any(op.lower().startswith("microsoft.authorization/*") for op in document["Actions"])
    assert document["DataActions"] == [] and document["NotDataActions"] == []
    for denied in ("Microsoft.Storage/storageAccounts/listkeys/action", "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
                   "Microsoft.DocumentDB/databaseAccounts/listKeys/action", "Microsoft.Web/sites/config/list/Action"):
        assert denied in document["NotActions"]


def test_readonly_reads_without_data_actions_or_keys(azure_catalogues):
    document = rendered("readonly").document
    assert document["DataActions"] == []
    granted = {m for op in document["Actions"] for m in azure_catalogues["control"].matches(op)}
    denied = {m for op in document["NotActions"] for m in azure_catalogues["control"].matches(op)}
    effective = granted - denied
    assert effective and all(op.endswith("/read") for op in effective)
    secret_bearing = ("listkeys", "sharedkeys", "readonlykeys", "accesskeys", "connectionstrings", "publishxml")
    assert not {op for op in effective if any(word in op for word in secret_bearing)}


def test_workload_roles_are_real_built_in_roles():
    built_in = {guid: role["roleName"] for guid, role in azure_built_in_roles().items()}
    for name, guid in workload_roles().items():
        assert built_in.get(guid) == name
    assert not {"Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator"} & set(workload_roles())


def test_guids_are_deterministic_and_distinct():
    role = azure_rbac.role_definition_guid(SUBSCRIPTION, "acme-prod")
    assert role == azure_rbac.role_definition_guid(SUBSCRIPTION.upper(), "acme-prod")
    assert uuid.UUID(role).version == 5
    assert role != azure_rbac.role_assignment_guid(SUBSCRIPTION, "acme-prod")
    assert role != azure_rbac.role_definition_guid(SUBSCRIPTION, "acme-dev")
    assert role != azure_rbac.role_definition_guid("99999999-2222-3333-4444-555555555555", "acme-prod")


def test_delegation_condition_is_exact():
    assert azure_rbac.delegation_condition(["B-GUID", "a-guid"]) == (
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {a-guid, b-guid} AND "
        "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}))"
        " AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
        "(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {a-guid, b-guid}))"
    )


# --- the component ---------------------------------------------------------------------------------------


def test_managed_identity_link(az_link, plan):
    result = plan(az_link)
    group = result.one(GROUP)
    assert group.inputs["resourceGroupName"] == "linking-acme-prod" and group.inputs["location"] == "westeurope"
    identity = result.one(IDENTITY)
    assert identity.inputs["resourceName"] == "linking-acme-prod"
    for resource in (group, identity):
        assert resource.inputs["tags"]["linking:link-id"] == "acme-prod" and resource.inputs["tags"]["managed-by"] == "pulumi"
    federated = result.one(FEDERATED)
    assert federated.inputs["issuer"] == "https://token.actions.githubusercontent.com"
    assert federated.inputs["subject"] == "repo:acme/cp:environment:prod"
    assert federated.inputs["audiences"] == ["api://AzureADTokenExchange"]

    definition = result.one(ROLE_DEFINITION)
    assert definition.inputs["roleDefinitionId"] == azure_rbac.role_definition_guid(SUBSCRIPTION, "acme-prod")
    assert definition.inputs["scope"] == f"/subscriptions/{SUBSCRIPTION}"
    assert definition.inputs["roleType"] == "CustomRole"
    assert definition.inputs["permissions"] == [{
        "actions": rendered("admin").document["Actions"],
        "notActions": rendered("admin").document["NotActions"],
        "dataActions": [],
        "notDataActions": [],
    }]
    assignment = result.one(ROLE_ASSIGNMENT)
    assert assignment.inputs["roleAssignmentName"] == azure_rbac.role_assignment_guid(SUBSCRIPTION, "acme-prod")
    assert assignment.inputs["principalType"] == "ServicePrincipal"
    assert assignment.inputs["scope"] == f"/subscriptions/{SUBSCRIPTION}"
    assert assignment.inputs["condition"] == azure_rbac.delegation_condition(workload_roles().values())
    assert assignment.inputs["conditionVersion"] == "2.0"
    assert result.by_type(PASSWORD) == [] and "linkSecrets" not in result.outputs
    record = result.outputs["linkRecord"]
    jsonschema.validate(record, load_schema("link-record.schema.json"))
    assert record["identity"]["kind"] == "managed"
    assert record["azure"]["roleDefinitionId"].endswith(azure_rbac.role_definition_guid(SUBSCRIPTION, "acme-prod"))


def test_readonly_assignment_carries_no_condition(az_link, plan):
    az_link["tier"] = "readonly"
    assignment = plan(az_link).one(ROLE_ASSIGNMENT)
    assert "condition" not in assignment.inputs and "conditionVersion" not in assignment.inputs


def test_display_name_change_keeps_guids_and_urns(az_link, plan):
    before = plan(az_link)
    az_link["displayName"] = "Renamed"
    after = plan(az_link)
    assert [r.urn for r in before.resources] == [r.urn for r in after.resources]
    assert before.one(ROLE_DEFINITION).inputs["roleDefinitionId"] == after.one(ROLE_DEFINITION).inputs["roleDefinitionId"]


def test_application_identity_with_federated_credential(az_link, plan):
    az_link["azure"]["identity"] = "application"
    result = plan(az_link)
    assert result.by_type(IDENTITY) == [] and result.by_type(GROUP) == []
    application = result.one(APPLICATION)
    assert application.inputs["displayName"] == "linking-acme-prod"
    assert "linking:link-id=acme-prod" in application.inputs["tags"]
    assert result.one(SERVICE_PRINCIPAL).inputs["accountEnabled"] is True
    assert result.one(APP_FEDERATED).inputs["subject"] == "repo:acme/cp:environment:prod"
    assert result.by_type(PASSWORD) == []
    jsonschema.validate(result.outputs["linkRecord"], load_schema("link-record.schema.json"))


def test_client_secret_is_opt_in_secret_and_capped_at_expiry(az_link, plan):
    az_link["azure"].update(identity="application", clientSecret={"enabled": True, "endDate": "2027-12-31T00:00:00Z"})
    az_link["expiresAt"] = "2027-06-30T00:00:00Z"
    result = plan(az_link)
    assert result.one(PASSWORD).inputs["endDate"] == "2027-06-30T00:00:00Z"
    assert isinstance(result.outputs["linkSecrets"], Secret)
    assert result.outputs["linkSecrets"].value == {"clientSecret": "[secret]"}
    record = result.outputs["linkRecord"]
    jsonschema.validate(record, load_schema("link-record.schema.json"))
    assert record["authentication"]["clientSecret"] == {"value": "linkSecrets.clientSecret", "endDate": "2027-06-30T00:00:00Z"}
    assert "the client secret ends at 2027-06-30T00:00:00Z" in record["expiryEnforcement"]
    assert "cannot expire a role assignment" in record["expiryEnforcement"]


def test_secret_only_application_needs_no_oidc(az_link, plan):
    az_link["azure"].update(identity="application", clientSecret={"enabled": True, "endDate": "2027-12-31T00:00:00Z"})
    del az_link["controlPlane"]
    result = plan(az_link)
    assert result.by_type(APP_FEDERATED) == []
    assert result.outputs["linkRecord"]["authentication"]["method"] == "client-secret"


def test_disabled_link_removes_assignment_and_credentials_keeps_identity_and_role(az_link, plan):
    enabled = plan(az_link)
    az_link["enabled"] = False
    disabled = plan(az_link)
    assert disabled.by_type(ROLE_ASSIGNMENT) == [] and disabled.by_type(FEDERATED) == []
    assert disabled.one(IDENTITY).urn == enabled.one(IDENTITY).urn
    assert disabled.one(ROLE_DEFINITION).urn == enabled.one(ROLE_DEFINITION).urn
    assert disabled.one(IDENTITY).inputs["tags"]["linking:status"] == "disabled"
    az_link["azure"].update(identity="application", clientSecret={"enabled": True, "endDate": "2027-12-31T00:00:00Z"})
    application = plan(az_link)
    assert application.by_type(PASSWORD) == [] and application.by_type(APP_FEDERATED) == []
    assert application.one(SERVICE_PRINCIPAL).inputs["accountEnabled"] is False


@pytest.mark.parametrize("field,actual", [("subscriptionId", "99999999-2222-3333-4444-555555555555"), ("tenantId", "99999999-7777-8888-9999-000000000000")])
def test_subscription_guard_stops_before_anything_is_registered(az_link, plan, field, actual):
    ambient = Ambient(azure_subscription_id=SUBSCRIPTION, azure_tenant_id=TENANT)
    ambient = Ambient(**{**ambient.__dict__, "azure_subscription_id" if field == "subscriptionId" else "azure_tenant_id": actual})
    with pytest.raises(LinkConfigError) as raised:
        plan(az_link, ambient=ambient)
    assert raised.value.key_path == f"linking:link.azure.{field}"
    assert actual in str(raised.value)
    assert plan.registered == []


# --- bad input -------------------------------------------------------------------------------------------


def _custom(tmp_path: Path, **changes: Any) -> str:
    document = {"Name": "custom", "Actions": ["Microsoft.Compute/virtualMachines/read"], "AssignableScopes": [f"/subscriptions/{SUBSCRIPTION}"], **changes}
    path = tmp_path / "role.json"
    path.write_text(json.dumps(document))
    return path.name


BAD = [
    ("subscription not a GUID", lambda l, t: l["azure"].update(subscriptionId="acme-prod"), "linking:link.azure.subscriptionId", "GUID"),
    ("tenant not a GUID", lambda l, t: l["azure"].update(tenantId="contoso.onmicrosoft.com"), "linking:link.azure.tenantId", "GUID"),
    ("identity unknown", lambda l, t: l["azure"].update(identity="user"), "linking:link.azure.identity", "managed"),
    ("issuer not https", lambda l, t: l["controlPlane"]["oidc"].update(issuer="http://issuer.example"), "linking:link.controlPlane.oidc.issuer", "https://"),
    ("empty subject", lambda l, t: l["controlPlane"]["oidc"].update(subject=""), "linking:link.controlPlane.oidc.subject", "exact token subject"),
    ("missing subject", lambda l, t: l["controlPlane"]["oidc"].pop("subject"), "linking:link.controlPlane.oidc.subject", "exact subject"),
    ("secret without endDate", lambda l, t: l["azure"].update(identity="application", clientSecret={"enabled": True}),
     "linking:link.azure.clientSecret.endDate", "end date"),
    ("secret over two years", lambda l, t: l["azure"].update(identity="application", clientSecret={"enabled": True, "endDate": "2099-01-01T00:00:00Z"}),
     "linking:link.azure.clientSecret.endDate", "two years"),
    ("secret in the past", lambda l, t: l["azure"].update(identity="application", clientSecret={"enabled": True, "endDate": "2020-01-01T00:00:00Z"}),
     "linking:link.azure.clientSecret.endDate", "in the future"),
    ("secret for a managed identity", lambda l, t: l["azure"].update(clientSecret={"enabled": True, "endDate": "2027-01-01T00:00:00Z"}),
     "linking:link.azure.clientSecret", "managed identity has none"),
    ("location with a space", lambda l, t: l["azure"].update(location="West Europe"), "linking:link.azure.location", "region name"),
    ("managed without location", lambda l, t: l["azure"].pop("location"), "linking:link.azure.location", "region"),
    ("malformed action", lambda l, t: l.update(tier="custom", policyFile=_custom(t, Actions=["Microsoft.Compute virtualMachines read"])),
     "linking:link.policyFile.Actions[0]", "an operation"),
    ("scope outside the subscription", lambda l, t: l.update(tier="custom", policyFile=_custom(t, AssignableScopes=["/subscriptions/99999999-2222-3333-4444-555555555555"])),
     "linking:link.policyFile.AssignableScopes[0]", "linked subscription"),
    ("scope at the root", lambda l, t: l.update(tier="custom", policyFile=_custom(t, AssignableScopes=["/"])),
     "linking:link.policyFile.AssignableScopes[0]", "under /subscriptions/"),
]


@pytest.mark.parametrize("case,mutate,key_path,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_input_stops_before_any_resource(az_link, plan, tmp_path, case, mutate, key_path, expected):
    mutate(az_link, tmp_path)
    plan.expect_error(az_link, key_path, expected)


def test_example_stack_plans():
    result = plan_stack_file(REPO / "stacks" / "Pulumi.azure-example.yaml")
    assert {r.type for r in result.resources} >= {IDENTITY, FEDERATED, ROLE_DEFINITION, ROLE_ASSIGNMENT}

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
from linking.azure.lint import classed
from linking.azure import render_role_definition, workload_roles
from linking.canonical import canonical_json
from linking.errors import LinkConfigError
from linking.planned import Ambient
from linking.plan.stackfile import plan_stack_file
from linking.planned import Secret
from linking.policy import builtin_document_path, kept_by_ledger
from linking.validation import load_schema

from linking.catalogue import Catalogue
from linking.azure.catalogue import azure_built_in_roles
from linking.names import deterministic_guid
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
    "azure": {"subscriptionId": SUBSCRIPTION, "tenantId": TENANT, "location": "westeurope", "resourceGroups": ["acme-apps", "acme-data"]},
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


def test_admin_has_no_owner_wildcards_and_no_key_listing(azure_catalogues):
    document = rendered("admin").document
    assert "*" not in document["Actions"]
    assert not any(op.lower().startswith("microsoft.authorization/*") for op in document["Actions"])
    assert document["DataActions"] == [] and document["NotDataActions"] == []
    granted = {m for op in document["Actions"] for m in azure_catalogues["control"].matches(op)}
    effective = granted - {m for op in document["NotActions"] for m in azure_catalogues["control"].matches(op)}
    kept = {op.lower() for op in kept_by_ledger(builtin_document_path("azure", "admin"))}
    assert sorted(effective & (classed("credential") | classed("data") | classed("code_execution")) - kept) == []
    # cluster credentials are cluster insides: never in the default tier, whatever Entra would decide
    assert "microsoft.containerservice/managedclusters/listclusterusercredential/action" not in effective


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
    role = deterministic_guid(SUBSCRIPTION, "acme-prod", "role-definition")
    assert role == deterministic_guid(SUBSCRIPTION.upper(), "acme-prod", "role-definition")
    assert uuid.UUID(role).version == 5
    assert role != deterministic_guid(SUBSCRIPTION, "acme-prod", "role-assignment")
    assert role != deterministic_guid(SUBSCRIPTION, "acme-dev", "role-definition")


PRINCIPAL = "0a1b2c3d-0000-4000-8000-00000000abcd"


def test_delegation_condition_is_exact():
    assert azure_rbac.delegation_condition(["B-GUID", "a-guid"], PRINCIPAL.upper()) == (
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {a-guid, b-guid} AND "
        "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'} AND "
        f"@Request[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidNotEquals {{{PRINCIPAL}}}))"
        " AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
        "(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {a-guid, b-guid} AND "
        f"@Resource[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidNotEquals {{{PRINCIPAL}}}))"
    )


# --- the component ---------------------------------------------------------------------------------------


def test_managed_identity_link(az_link, plan):
    result = plan(az_link)
    groups = {g.inputs["resourceGroupName"]: g for g in result.by_type(GROUP)}
    assert set(groups) == {"linking-acme-prod", "acme-apps", "acme-data"}
    assert all(g.inputs["location"] == "westeurope" for g in groups.values())
    assert groups["acme-apps"].inputs["tags"]["linking:owned-by"] == "acme-prod"
    assert "linking:owned-by" not in groups["linking-acme-prod"].inputs["tags"]  # the identity's own group is not the control plane's
    identity = result.one(IDENTITY)
    assert identity.inputs["resourceName"] == "linking-acme-prod"
    for resource in (groups["linking-acme-prod"], identity):
        assert resource.inputs["tags"]["linking:link-id"] == "acme-prod" and resource.inputs["tags"]["managed-by"] == "pulumi"
    federated = result.one(FEDERATED)
    assert federated.inputs["issuer"] == "https://token.actions.githubusercontent.com"
    assert federated.inputs["subject"] == "repo:acme/cp:environment:prod"
    assert federated.inputs["audiences"] == ["api://AzureADTokenExchange"]

    definitions = {d.inputs["roleName"]: d for d in result.by_type(ROLE_DEFINITION)}
    admin, reader = definitions["linking acme-prod admin"], definitions["linking acme-prod readonly"]
    assert admin.inputs["roleDefinitionId"] == deterministic_guid(SUBSCRIPTION, "acme-prod", "role-definition")
    assert admin.inputs["scope"] == f"/subscriptions/{SUBSCRIPTION}"
    assert admin.inputs["roleType"] == "CustomRole"
    assert admin.inputs["permissions"] == [{
        "actions": rendered("admin").document["Actions"],
        "notActions": rendered("admin").document["NotActions"],
        "dataActions": [],
        "notDataActions": [],
    }]
    assert reader.inputs["permissions"][0]["actions"] == ["*/read"]
    assignments = {a.inputs["scope"]: a for a in result.by_type(ROLE_ASSIGNMENT)}
    principal = identity.outputs["principalId"]
    for group in ("acme-apps", "acme-data"):
        assignment = assignments[groups[group].outputs["id"]]
        assert assignment.inputs["roleAssignmentName"] == deterministic_guid(SUBSCRIPTION, "acme-prod", "role-assignment", group)
        assert assignment.inputs["roleDefinitionId"] == admin.outputs["id"]
        assert assignment.inputs["principalType"] == "ServicePrincipal"
        assert assignment.inputs["condition"] == azure_rbac.delegation_condition(workload_roles().values(), principal)
        assert assignment.inputs["conditionVersion"] == "2.0"
    subscription_wide = assignments[f"/subscriptions/{SUBSCRIPTION}"]
    assert subscription_wide.inputs["roleDefinitionId"] == reader.outputs["id"] and "condition" not in subscription_wide.inputs
    assert len(assignments) == 3
    assert result.by_type(PASSWORD) == [] and "linkSecrets" not in result.outputs
    record = result.outputs["linkRecord"]
    jsonschema.validate(record, load_schema("link-record.schema.json"))
    assert record["identity"]["kind"] == "managed"
    assert record["azure"]["resourceGroups"] == ["acme-apps", "acme-data"] and record["azure"]["scope"] == "resource-groups"
    assert record["azure"]["ownership"] == {"tagKey": "linking:owned-by", "tagValue": "acme-prod"}
    assert record["azure"]["roleDefinitionId"].endswith(deterministic_guid(SUBSCRIPTION, "acme-prod", "role-definition"))


def test_switching_tiers_never_gives_one_tier_s_definition_id_to_another(az_link, plan):
    """The red team of issue 31: a readonly link's definition and an admin's shared an id, so switching tiers rewrote
    the subscription-wide readonly definition into the admin's until Pulumi deleted the old assignment. The readonly
    tier is now the same definition and assignment in both (a switch keeps them), and the admin's is its own."""
    admin = plan(az_link)
    readonly = plan({**az_link, "tier": "readonly", "azure": {k: v for k, v in az_link["azure"].items() if k != "resourceGroups"}})

    def definitions(result):
        return {d.name: (d.inputs["roleDefinitionId"], d.inputs["roleName"]) for d in result.by_type(ROLE_DEFINITION)}

    def subscription_assignments(result):
        return {a.name: a.inputs["roleAssignmentName"] for a in result.by_type(ROLE_ASSIGNMENT)
                if a.inputs["scope"] == f"/subscriptions/{SUBSCRIPTION}"}

    assert definitions(readonly) == {"acme-prod-reader": definitions(admin)["acme-prod-reader"]}
    assert subscription_assignments(readonly) == subscription_assignments(admin)
    ids = [guid for guid, _ in definitions(admin).values()]
    names = [name for _, name in definitions(admin).values()]
    assert len(set(ids)) == len(ids) == 2 and len(set(names)) == 2


def test_subscription_scope_is_the_wider_admin_with_a_warning(az_link, plan):
    del az_link["azure"]["resourceGroups"]
    az_link["azure"]["scope"] = "subscription"
    result = plan(az_link)
    (assignment,) = result.by_type(ROLE_ASSIGNMENT)
    assert assignment.inputs["scope"] == f"/subscriptions/{SUBSCRIPTION}"
    assert assignment.inputs["roleAssignmentName"] == deterministic_guid(SUBSCRIPTION, "acme-prod", "role-assignment")
    record = result.outputs["linkRecord"]
    assert [w.split()[1] for w in record["lint"]["warnings"]] == ["AZ004"]
    assert record["azure"]["ownership"] is None and record["azure"]["resourceGroups"] == []


def test_readonly_assignment_carries_no_condition(az_link, plan):
    az_link["tier"] = "readonly"
    del az_link["azure"]["resourceGroups"]
    assignment = plan(az_link).one(ROLE_ASSIGNMENT)
    assert "condition" not in assignment.inputs and "conditionVersion" not in assignment.inputs


def test_display_name_change_keeps_guids_and_urns(az_link, plan):
    before = plan(az_link)
    az_link["displayName"] = "Renamed"
    after = plan(az_link)
    assert [r.urn for r in before.resources] == [r.urn for r in after.resources]
    assert [d.inputs["roleDefinitionId"] for d in before.by_type(ROLE_DEFINITION)] == [
        d.inputs["roleDefinitionId"] for d in after.by_type(ROLE_DEFINITION)]


def test_application_identity_with_federated_credential(az_link, plan):
    az_link["azure"]["identity"] = "application"
    result = plan(az_link)
    assert result.by_type(IDENTITY) == [] and {g.inputs["resourceGroupName"] for g in result.by_type(GROUP)} == {"acme-apps", "acme-data"}
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
    assert [d.urn for d in disabled.by_type(ROLE_DEFINITION)] == [d.urn for d in enabled.by_type(ROLE_DEFINITION)]
    assert disabled.one(IDENTITY).inputs["tags"]["linking:status"] == "disabled"
    az_link["azure"].update(identity="application", clientSecret={"enabled": True, "endDate": "2027-12-31T00:00:00Z"})
    application = plan(az_link)
    assert application.by_type(PASSWORD) == [] and application.by_type(APP_FEDERATED) == []
    assert application.one(SERVICE_PRINCIPAL).inputs["accountEnabled"] is False


@pytest.mark.parametrize("field,actual", [("subscriptionId", "99999999-2222-3333-4444-555555555555"), ("tenantId", "99999999-7777-8888-9999-000000000000")])
def test_subscription_guard_stops_before_anything_is_registered(az_link, plan, field, actual):
    ambient = Ambient(azure_subscription_id=SUBSCRIPTION, azure_tenant_id=TENANT)
    ambient = Ambient(**{**ambient.identity, "azure_subscription_id" if field == "subscriptionId" else "azure_tenant_id": actual})
    with pytest.raises(LinkConfigError) as raised:
        plan(az_link, ambient=ambient)
    assert raised.value.key_path == f"linking:link.azure.{field}"
    assert actual in str(raised.value)
    assert plan.registered == []


# --- bad input -------------------------------------------------------------------------------------------


def _custom(tmp_path: Path, **changes: Any) -> str:
    """A custom tier (fenced to the base link's resource groups)."""
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
    ("admin without resource groups", lambda l, t: l["azure"].pop("resourceGroups"), "linking:link.azure.resourceGroups", "scope: subscription"),
    ("the identity's own group", lambda l, t: l["azure"].update(resourceGroups=["Linking-acme-prod"]), "linking:link.azure.resourceGroups",
     "must not manage itself"),
    ("resource groups on readonly", lambda l, t: l.update(tier="readonly"), "linking:link.azure.resourceGroups", "no resource groups here"),
    ("scope unknown", lambda l, t: l["azure"].update(scope="tenant"), "linking:link.azure.scope", "resource-groups"),
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


def test_the_plan_shows_the_reads_the_readonly_tier_keeps_by_its_ledger(az_link, plan):
    """VM user data comes with VM inventory; the plan prints it (LEDGER001) for a resource-group admin, which carries
    the readonly tier subscription-wide, and for a readonly link."""
    for change in ({}, {"tier": "readonly"}):
        link = {**copy.deepcopy(az_link), **change}
        if change:
            del link["azure"]["resourceGroups"]
        warnings = plan(link).outputs["linkRecord"]["lint"]["warnings"]
        assert any("LEDGER001" in w and "Microsoft.Compute/virtualMachines/read" in w and "user data" in w for w in warnings), warnings

"""What the Azure tiers promise, decided request by request: the rendered roles at the scopes the link assigns
them, with the condition the link writes (tests/azure/model.py)."""

from __future__ import annotations

import pytest

from linking.azure import render_role_definition, workload_roles
from linking.azure.documents import delegation_condition
from linking.policy import builtin_document_path

from .model import Assignment, Request, allowed

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
SUB = f"/subscriptions/{SUBSCRIPTION}"
APPS, DATA = f"{SUB}/resourceGroups/acme-apps", f"{SUB}/resourceGroups/acme-data"
OTHER = f"{SUB}/resourceGroups/prod-payments"
OWN_GROUP = f"{SUB}/resourceGroups/linking-acme-prod"
SELF = "0a1b2c3d-0000-4000-8000-00000000abcd"
WORKLOAD = "9f8e7d6c-0000-4000-8000-00000000beef"
ROLES = workload_roles()
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
WRITE = "Microsoft.Authorization/roleAssignments/write"
DELETE = "Microsoft.Authorization/roleAssignments/delete"


def role(tier: str) -> dict:
    return render_role_definition(builtin_document_path("azure", tier), "acme-prod", SUBSCRIPTION, tier).document


def admin_link() -> list[Assignment]:
    """What the component assigns for an admin link with resourceGroups [acme-apps, acme-data]."""
    condition = delegation_condition(ROLES.values(), SELF)
    return [Assignment(role("admin"), APPS, condition), Assignment(role("admin"), DATA, condition), Assignment(role("readonly"), SUB)]


def assign(scope: str, role_id: str, principal: str = WORKLOAD, principal_type: str = "ServicePrincipal") -> Request:
    return Request(WRITE, f"{scope}/providers/Microsoft.Authorization/roleAssignments/x", {
        "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]": role_id,
        "@Request[Microsoft.Authorization/roleAssignments:PrincipalType]": principal_type,
        "@Request[Microsoft.Authorization/roleAssignments:PrincipalId]": principal,
    })


def unassign(scope: str, role_id: str, principal: str) -> Request:
    return Request(DELETE, f"{scope}/providers/Microsoft.Authorization/roleAssignments/x", {
        "@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId]": role_id,
        "@Resource[Microsoft.Authorization/roleAssignments:PrincipalId]": principal,
    })


def op(operation: str, scope: str, resource: str = "") -> Request:
    return Request(operation, scope + resource)


VM = "/providers/Microsoft.Compute/virtualMachines/vm1"
VAULT = "/providers/Microsoft.KeyVault/vaults/kv1"
WORKSPACE = "/providers/Microsoft.OperationalInsights/workspaces/logs"

ADMIN_DENIED = [
    # outside the link's resource groups: every write, run command, credential and other authorization system
    op("Microsoft.Compute/virtualMachines/write", OTHER, VM),
    op("Microsoft.Compute/virtualMachines/runCommands/write", OTHER, VM + "/runCommands/x"),
    op("Microsoft.Compute/virtualMachines/extensions/write", OTHER, VM + "/extensions/x"),
    op("Microsoft.KeyVault/vaults/accessPolicies/write", OTHER, VAULT + "/accessPolicies/add"),
    op("Microsoft.KeyVault/vaults/write", OTHER, VAULT),
    op("Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/write", OTHER, "/providers/Microsoft.DocumentDB/databaseAccounts/db/sqlRoleAssignments/x"),
    op("Microsoft.Sql/servers/administrators/write", OTHER, "/providers/Microsoft.Sql/servers/s/administrators/ActiveDirectory"),
    op("Microsoft.Storage/storageAccounts/localusers/write", OTHER, "/providers/Microsoft.Storage/storageAccounts/sa/localUsers/u"),
    op("Microsoft.ContainerService/managedClusters/runCommand/action", OTHER, "/providers/Microsoft.ContainerService/managedClusters/aks"),
    op("Microsoft.ContainerService/managedClusters/listClusterUserCredential/action", OTHER, "/providers/Microsoft.ContainerService/managedClusters/aks"),
    op("Microsoft.Web/sites/publish/Action", OTHER, "/providers/Microsoft.Web/sites/app"),
    op("Microsoft.ContainerRegistry/registries/tokens/write", OTHER, "/providers/Microsoft.ContainerRegistry/registries/r/tokens/t"),
    op("Microsoft.ContainerRegistry/registries/scheduleRun/action", OTHER, "/providers/Microsoft.ContainerRegistry/registries/r"),
    op("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write", OTHER,
       "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments/federatedIdentityCredentials/x"),
    # the link's own identity: its group is not one the control plane works in
    op("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write", OWN_GROUP,
       "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/linking-acme-prod/federatedIdentityCredentials/x"),
    op("Microsoft.Resources/subscriptions/resourceGroups/write", OTHER),
    op("Microsoft.Resources/subscriptions/resourceGroups/delete", OWN_GROUP),
    op("Microsoft.Authorization/roleDefinitions/write", SUB, "/providers/Microsoft.Authorization/roleDefinitions/x"),
    op("Microsoft.Authorization/policyAssignments/write", SUB, "/providers/Microsoft.Authorization/policyAssignments/x"),
    op("Microsoft.Insights/diagnosticSettings/write", SUB, "/providers/Microsoft.Insights/diagnosticSettings/x"),
    # inside its own groups too: keys and credentials, log purge and export, diagnostic settings removal
    op("Microsoft.Storage/storageAccounts/listkeys/action", DATA, "/providers/Microsoft.Storage/storageAccounts/sa"),
    op("Microsoft.Cache/redis/listKeys/action", DATA, "/providers/Microsoft.Cache/redis/r"),
    op("Microsoft.ServiceBus/namespaces/authorizationRules/listKeys/action", DATA, "/providers/Microsoft.ServiceBus/namespaces/n/authorizationRules/r"),
    op("Microsoft.EventHub/namespaces/authorizationRules/listKeys/action", DATA, "/providers/Microsoft.EventHub/namespaces/n/authorizationRules/r"),
    op("Microsoft.App/containerApps/listSecrets/action", APPS, "/providers/Microsoft.App/containerApps/a"),
    op("Microsoft.ContainerRegistry/registries/generateCredentials/action", APPS, "/providers/Microsoft.ContainerRegistry/registries/r"),
    op("Microsoft.ContainerRegistry/registries/listCredentials/action", APPS, "/providers/Microsoft.ContainerRegistry/registries/r"),
    op("Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action", APPS, "/providers/Microsoft.ContainerService/managedClusters/aks"),
    op("Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action", APPS, "/providers/Microsoft.ContainerService/managedClusters/aks/accessProfiles/clusterAdmin"),
    op("Microsoft.Web/sites/config/list/Action", APPS, "/providers/Microsoft.Web/sites/app/config/appsettings"),
    op("Microsoft.Web/sites/host/listkeys/action", APPS, "/providers/Microsoft.Web/sites/fn/host/default"),
    op("Microsoft.Web/sites/slots/config/list/action", APPS, "/providers/Microsoft.Web/sites/app/slots/staging/config/appsettings"),
    op("Microsoft.Web/sites/functions/listsecrets/action", APPS, "/providers/Microsoft.Web/sites/fn/functions/f"),
    op("Microsoft.Web/staticSites/listAppSettings/action", APPS, "/providers/Microsoft.Web/staticSites/s"),
    op("Microsoft.Web/connections/listConnectionKeys/action", APPS, "/providers/Microsoft.Web/connections/c"),
    op("Microsoft.Cache/redisEnterprise/databases/listKeys/action", DATA, "/providers/Microsoft.Cache/redisEnterprise/r/databases/default"),
    op("Microsoft.OperationalInsights/workspaces/listKeys/action", DATA, WORKSPACE),
    op("Microsoft.DocumentDB/mongoClusters/listConnectionStrings/action", DATA, "/providers/Microsoft.DocumentDB/mongoClusters/m"),
    op("Microsoft.App/builds/listAuthToken/action", APPS, "/providers/Microsoft.App/builds/b"),
    op("Microsoft.ContainerService/fleets/listCredentials/action", APPS, "/providers/Microsoft.ContainerService/fleets/f"),
    op("Microsoft.OperationalInsights/workspaces/purge/action", DATA, WORKSPACE),
    op("Microsoft.OperationalInsights/workspaces/dataExports/write", DATA, WORKSPACE + "/dataExports/x"),
    op("Microsoft.OperationalInsights/workspaces/sharedKeys/action", DATA, WORKSPACE),
    op("Microsoft.Insights/diagnosticSettings/delete", DATA, VM + "/providers/Microsoft.Insights/diagnosticSettings/x"),
    # role assignments: never for itself, never a role outside the list, never to a person, never outside its groups
    assign(APPS, ROLES["Key Vault Secrets User"], principal=SELF),
    assign(APPS, ROLES["Storage Blob Data Contributor"], principal=SELF),
    assign(APPS, OWNER),
    assign(APPS, USER_ACCESS_ADMINISTRATOR),
    assign(APPS, ROLES["Storage Blob Data Reader"], principal_type="User"),
    assign(APPS, ROLES["Storage Blob Data Reader"], principal_type="Group"),
    assign(OTHER, ROLES["Storage Blob Data Reader"]),
    assign(SUB, ROLES["Key Vault Secrets User"]),
    unassign(APPS, ROLES["Key Vault Secrets User"], SELF),
    unassign(APPS, OWNER, WORKLOAD),
]


ADMIN_DENIED_IN_ITS_GROUPS = [
    # secrets: through template deployments, the reads the readonly tier excludes, exports to a caller's SAS
    op("Microsoft.KeyVault/vaults/deploy/action", APPS, VAULT),
    op("Microsoft.KeyVault/vaults/accessPolicies/write", APPS, VAULT + "/accessPolicies/add"),
    op("Microsoft.Web/sites/functions/masterkey/read", APPS, "/providers/Microsoft.Web/sites/fn/functions/masterkey"),
    op("Microsoft.Web/sites/hostruntime/host/_master/read", APPS, "/providers/Microsoft.Web/sites/fn/hostruntime/host/_master"),
    op("microsoft.web/sites/config/web/connectionstrings/read", APPS, "/providers/Microsoft.Web/sites/app/config/web/connectionstrings"),
    op("microsoft.web/sites/publishxml/read", APPS, "/providers/Microsoft.Web/sites/app/publishxml"),
    op("Microsoft.DocumentDB/databaseAccounts/readonlykeys/read", APPS, "/providers/Microsoft.DocumentDB/databaseAccounts/db"),
    op("Microsoft.Cache/redis/export/action", APPS, "/providers/Microsoft.Cache/redis/r"),
    op("Microsoft.Sql/servers/databases/export/action", APPS, "/providers/Microsoft.Sql/servers/s/databases/d"),
    op("Microsoft.DBforMySQL/flexibleServers/backupAndExport/action", APPS, "/providers/Microsoft.DBforMySQL/flexibleServers/m"),
    op("Microsoft.DBforPostgreSQL/flexibleServers/startLtrBackup/action", APPS, "/providers/Microsoft.DBforPostgreSQL/flexibleServers/p"),
    op("Microsoft.Storage/storageAccounts/localusers/write", APPS, "/providers/Microsoft.Storage/storageAccounts/sa/localUsers/u"),
    op("Microsoft.Storage/storageAccounts/objectReplicationPolicies/write", APPS, "/providers/Microsoft.Storage/storageAccounts/sa/objectReplicationPolicies/p"),
    # logs and the audit trail
    op("Microsoft.OperationalInsights/workspaces/query/read", APPS, WORKSPACE + "/query"),
    op("Microsoft.Insights/logs/AzureActivity/read", APPS, VM + "/providers/Microsoft.Insights/logs/AzureActivity"),
    op("Microsoft.Insights/diagnosticSettings/write", APPS, VM + "/providers/Microsoft.Insights/diagnosticSettings/d"),
    op("Microsoft.OperationalInsights/workspaces/delete", APPS, WORKSPACE),
    # shells in running workloads and cluster insides
    op("Microsoft.Compute/virtualMachines/runCommands/write", APPS, VM + "/runCommands/x"),
    op("Microsoft.Compute/virtualMachines/extensions/write", APPS, VM + "/extensions/x"),
    op("Microsoft.ContainerService/managedClusters/runCommand/action", APPS, "/providers/Microsoft.ContainerService/managedClusters/aks"),
    op("Microsoft.ContainerService/managedClusters/listClusterUserCredential/action", APPS, "/providers/Microsoft.ContainerService/managedClusters/aks"),
]


@pytest.mark.parametrize("request_", ADMIN_DENIED_IN_ITS_GROUPS, ids=lambda r: r.operation)
def test_the_admin_tier_reads_no_secrets_or_logs_and_runs_no_shells_even_in_its_groups(request_):
    assert not allowed(request_, admin_link())


@pytest.mark.parametrize("request_", ADMIN_DENIED, ids=lambda r: f"{r.operation} {r.scope[len(SUB):]}")
def test_the_admin_tier_cannot(request_):
    assert not allowed(request_, admin_link())


ADMIN_ALLOWED = [
    op("Microsoft.ContainerService/managedClusters/write", APPS, "/providers/Microsoft.ContainerService/managedClusters/aks"),
    op("Microsoft.ContainerService/managedClusters/agentPools/write", APPS, "/providers/Microsoft.ContainerService/managedClusters/aks/agentPools/p"),
    op("Microsoft.Storage/storageAccounts/write", DATA, "/providers/Microsoft.Storage/storageAccounts/sa"),
    op("Microsoft.KeyVault/vaults/write", DATA, VAULT),
    op("Microsoft.Web/sites/write", APPS, "/providers/Microsoft.Web/sites/app"),
    op("Microsoft.Network/virtualNetworks/write", APPS, "/providers/Microsoft.Network/virtualNetworks/vnet"),
    op("Microsoft.Sql/servers/write", DATA, "/providers/Microsoft.Sql/servers/s"),
    op("Microsoft.DocumentDB/databaseAccounts/write", DATA, "/providers/Microsoft.DocumentDB/databaseAccounts/db"),
    op("Microsoft.Cache/redis/write", DATA, "/providers/Microsoft.Cache/redis/r"),
    op("Microsoft.ServiceBus/namespaces/write", DATA, "/providers/Microsoft.ServiceBus/namespaces/n"),
    op("Microsoft.EventHub/namespaces/write", DATA, "/providers/Microsoft.EventHub/namespaces/n"),
    op("Microsoft.App/containerApps/write", APPS, "/providers/Microsoft.App/containerApps/a"),
    op("Microsoft.Cdn/profiles/write", APPS, "/providers/Microsoft.Cdn/profiles/p"),
    op("Microsoft.ManagedIdentity/userAssignedIdentities/write", APPS, "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app"),
    op("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write", APPS,
       "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app/federatedIdentityCredentials/aks"),
    op("Microsoft.Compute/virtualMachines/read", OTHER, VM),
    op("Microsoft.Storage/storageAccounts/read", OTHER, "/providers/Microsoft.Storage/storageAccounts/sa"),
    assign(APPS, ROLES["Storage Blob Data Reader"]),
    assign(DATA, ROLES["Key Vault Secrets User"]),
    assign(APPS, ROLES["Network Contributor"]),
    assign(APPS, ROLES["Managed Identity Operator"]),
    assign(APPS, ROLES["AcrPull"]),
    unassign(APPS, ROLES["AcrPull"], WORKLOAD),
]


@pytest.mark.parametrize("request_", ADMIN_ALLOWED, ids=lambda r: f"{r.operation} {r.scope[len(SUB):]}")
def test_the_admin_tier_still_builds_and_operates_inside_its_groups(request_):
    assert allowed(request_, admin_link())


READONLY_DENIED = [
    op("Microsoft.OperationalInsights/workspaces/query/AzureActivity/read", DATA, WORKSPACE + "/query/AzureActivity"),
    op("Microsoft.OperationalInsights/workspaces/search/action", DATA, WORKSPACE),
    op("Microsoft.Insights/components/query/read", DATA, "/providers/Microsoft.Insights/components/ai"),
    op("Microsoft.Resources/deployments/read", OTHER, "/providers/Microsoft.Resources/deployments/d"),
    op("Microsoft.Resources/deployments/operations/read", OTHER, "/providers/Microsoft.Resources/deployments/d/operations/o"),
    op("Microsoft.Network/connections/sharedKey/read", OTHER, "/providers/Microsoft.Network/connections/vpn/sharedKey"),
    op("Microsoft.Network/expressRouteCircuits/authorizations/read", OTHER, "/providers/Microsoft.Network/expressRouteCircuits/c/authorizations/a"),
    op("Microsoft.Automation/automationAccounts/variables/read", OTHER, "/providers/Microsoft.Automation/automationAccounts/a/variables/v"),
    op("Microsoft.Automation/automationAccounts/jobs/output/read", OTHER, "/providers/Microsoft.Automation/automationAccounts/a/jobs/j/output"),
    op("Microsoft.Automation/automationAccounts/runbooks/content/read", OTHER, "/providers/Microsoft.Automation/automationAccounts/a/runbooks/r/content"),
    op("Microsoft.Logic/workflows/runs/actions/read", OTHER, "/providers/Microsoft.Logic/workflows/w/runs/r/actions/a"),
    op("Microsoft.Compute/virtualMachines/runCommands/read", OTHER, VM + "/runCommands/x"),
    op("Microsoft.Compute/virtualMachines/extensions/read", OTHER, VM + "/extensions/x"),
    op("Microsoft.Storage/storageAccounts/listkeys/action", OTHER, "/providers/Microsoft.Storage/storageAccounts/sa"),
    op("Microsoft.Web/sites/config/list/Action", OTHER, "/providers/Microsoft.Web/sites/app/config/appsettings"),
    op("Microsoft.Web/sites/functions/masterkey/read", OTHER, "/providers/Microsoft.Web/sites/fn/functions/masterkey"),
    op("Microsoft.DocumentDB/databaseAccounts/readonlykeys/read", OTHER, "/providers/Microsoft.DocumentDB/databaseAccounts/db"),
]


READONLY_DENIED += [
    # log contents, image pulls, run histories and host keys (the audit of issue 31)
    op("Microsoft.Insights/logs/AzureActivity/read", OTHER, VM + "/providers/Microsoft.Insights/logs/AzureActivity"),
    op("Microsoft.OperationalInsights/workspaces/query/read", DATA, WORKSPACE + "/query"),
    op("Microsoft.ContainerRegistry/registries/pull/read", OTHER, "/providers/Microsoft.ContainerRegistry/registries/r"),
    op("Microsoft.ContainerInstance/containerGroups/containers/logs/read", OTHER, "/providers/Microsoft.ContainerInstance/containerGroups/g/containers/c/logs"),
    op("Microsoft.Insights/components/events/read", OTHER, "/providers/Microsoft.Insights/components/ai/events"),
    op("Microsoft.Automation/automationAccounts/jobs/streams/read", OTHER, "/providers/Microsoft.Automation/automationAccounts/a/jobs/j/streams/s"),
    op("Microsoft.Logic/workflows/runs/read", OTHER, "/providers/Microsoft.Logic/workflows/w/runs/r"),
    op("Microsoft.Logic/workflows/triggers/histories/read", OTHER, "/providers/Microsoft.Logic/workflows/w/triggers/t/histories/h"),
    op("Microsoft.Web/sites/hostruntime/functions/keys/read", OTHER, "/providers/Microsoft.Web/sites/fn/hostruntime/functions/f/keys"),
    op("Microsoft.Web/sites/hostruntime/host/_master/read", OTHER, "/providers/Microsoft.Web/sites/fn/hostruntime/host/_master"),
    op("Microsoft.Resources/deploymentScripts/logs/read", OTHER, "/providers/Microsoft.Resources/deploymentScripts/s/logs/default"),
]


@pytest.mark.parametrize("request_", READONLY_DENIED, ids=lambda r: r.operation)
def test_the_readonly_tier_returns_no_secrets(request_):
    assert not allowed(request_, [Assignment(role("readonly"), SUB)])


@pytest.mark.parametrize("operation", [
    "Microsoft.Compute/virtualMachines/read", "Microsoft.ContainerService/managedClusters/read",
    "Microsoft.Storage/storageAccounts/read", "Microsoft.KeyVault/vaults/read", "Microsoft.Network/virtualNetworks/read",
    "Microsoft.Insights/components/read", "Microsoft.Authorization/roleAssignments/read", "Microsoft.Consumption/usageDetails/read",
])
def test_the_readonly_tier_inventories(operation):
    assert allowed(Request(operation, OTHER + "/x"), [Assignment(role("readonly"), SUB)])



@pytest.mark.parametrize("tier,assignments", [("admin", lambda: [Assignment(role("admin"), APPS)]), ("readonly", lambda: [Assignment(role("readonly"), SUB)])])
def test_every_ledger_entry_names_what_the_tier_grants(tier, assignments):
    from linking.policy import load_document

    path = builtin_document_path("azure", tier).with_name(f"{tier}.ledger.yaml")
    kept = load_document(path, path.name)["unfenced"]
    scope = (APPS if tier == "admin" else SUB) + "/x"
    assert kept and all(allowed(Request(operation, scope), assignments()) for operation in kept), kept

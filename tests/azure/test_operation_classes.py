"""Every operation an Azure tier grants, expanded over the shipped catalogue, has a class from a source, and none of
data, credential, code execution, identity or audit unless the tier's ledger says why (issue 31, Deliver 4). The
workload roles the admin may hand out carry none at all: the link runs the code of the identities it gives them to."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from linking.azure import render_role_definition, workload_roles
from linking.azure.catalogue import azure_built_in_roles
from linking.azure.classes import SECRET_PROP, VERBS, operation_class, unaccounted_risks, unclassified
from linking.azure.lint import effective_operations
from linking.classes import RISKY
from linking.policy import builtin_document_path, kept_by_ledger

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


def granted(document: dict, plane: str = "control", keys: tuple[str, str] = ("Actions", "NotActions")) -> set[str]:
    """The catalogue's operations a role definition grants, as the lint expands them."""
    allowed, excluded = (list(document.get(k) or []) for k in keys)
    return set(effective_operations(allowed, excluded, plane))


def tier(name: str) -> dict:
    return render_role_definition(builtin_document_path("azure", name), "acme-prod", SUBSCRIPTION, name).document


def kept(name: str) -> set[str]:
    return set(kept_by_ledger(builtin_document_path("azure", name)))


@pytest.mark.parametrize("name", ["readonly", "admin"])
def test_every_operation_a_default_tier_grants_has_a_class(name):
    operations = granted(tier(name))
    assert operations and unclassified(operations) == []


@pytest.mark.parametrize("name", ["readonly", "admin"])
def test_no_default_tier_keeps_a_risky_class_its_ledger_does_not_explain(name):
    assert unaccounted_risks(granted(tier(name)), kept(name)) == {}


@pytest.mark.parametrize("name", ["readonly", "admin"])
def test_each_ledger_entry_is_granted_and_risky(name):
    """A ledger line for an operation the tier lacks, or one no source calls risky, would be a reason nobody needs."""
    operations = granted(tier(name))
    for operation in kept(name):
        verdict = operation_class(operation)
        assert operation.lower() in operations, operation
        assert verdict is not None and verdict.klass in (*RISKY, "exposure"), operation


def test_the_admin_tier_grants_only_actions_a_reviewed_entry_classes():
    """Actions are granted by name (start, join, ...), so one Azure adds later is not: none reaches the tier by the
    verb default or by absence."""
    actions = sorted(op for op in granted(tier("admin")) if op.endswith("/action"))
    assert actions
    for operation in actions:
        verdict = operation_class(operation)
        assert verdict is not None and verdict.source != SECRET_PROP, operation


@pytest.mark.parametrize("operation", [
    "Microsoft.Web/sites/slots/publishxml/Action", "Microsoft.Insights/Logs/Read",
    "Microsoft.OperationalInsights/workspaces/regenerateSharedKey/action", "Microsoft.KeyVault/vaults/write",
    "microsoft.web/sites/siteextensions/write", "Microsoft.Compute/virtualMachines/reimage/action",
])
def test_an_operation_added_to_the_admin_tier_is_caught(operation):
    document = tier("admin")
    mutated = {"Actions": [*document["Actions"], operation],
               "NotActions": [p for p in document["NotActions"] if not fnmatchcase(operation.lower(), p.lower())]}
    operations = granted(mutated)
    assert unaccounted_risks(operations, kept("admin")) or unclassified(operations)


@pytest.mark.parametrize(("operation", "klass", "source"), [
    ("Microsoft.KeyVault/vaults/write", "identity", "learn.microsoft.com"),
    ("Microsoft.Web/sites/slots/publishxml/Action", "credential", "learn.microsoft.com"),
    ("microsoft.web/sites/hostruntime/webhooks/api/workflows/runs/read", "data", "learn.microsoft.com"),
    ("Microsoft.OperationalInsights/workspaces/regenerateSharedKey/action", "credential", SECRET_PROP),
    ("Microsoft.App/containerApps/getAuthToken/action", "credential", SECRET_PROP),
    ("Microsoft.Sql/servers/extendedAuditingSettings/write", "audit", "learn.microsoft.com"),
    ("Microsoft.Network/virtualNetworks/subnets/join/action", "none", "learn.microsoft.com"),
    ("Microsoft.Network/virtualNetworks/read", "none", VERBS["read"].source),
    ("Microsoft.Network/privateEndpoints/write", "none", VERBS["write"].source),
])
def test_each_source_decides(operation, klass, source):
    verdict = operation_class(operation)
    assert verdict is not None and verdict.klass == klass and source in verdict.source


def test_an_action_no_source_decides_is_unclassified_never_none():
    assert operation_class("Microsoft.Compute/virtualMachines/reimage/action") is None
    assert operation_class("microsoft.network/privateEndpointConnections/read").klass == "none"  # a GET: the contract


@pytest.mark.parametrize("name", sorted(workload_roles()))
def test_a_workload_role_gives_nothing_the_link_is_denied(name):
    """A role the admin may assign goes to identities whose code the link deploys: it must carry no risky or
    unclassified operation, and data actions only to send (the role's own description: "Allows send access")."""
    role = azure_built_in_roles()[workload_roles()[name]]
    document = {k: [a for p in role["permissions"] for a in p.get(k) or []]
                for k in ("actions", "notActions", "dataActions", "notDataActions")}
    operations = granted(document, "control", ("actions", "notActions"))
    assert unclassified(operations) == [] and unaccounted_risks(operations, ()) == {}
    data = granted(document, "data", ("dataActions", "notDataActions"))
    assert data and all(op.endswith("/send/action") for op in data)
    assert "send" in role.get("description", "send").lower()


@pytest.mark.parametrize("name", ["Key Vault Secrets User", "Storage Blob Data Reader", "AcrPull",
                                  "Azure Kubernetes Service Cluster User Role"])
def test_the_check_refuses_a_data_role_as_a_workload_role(name):
    """The same check on a role the audit found laundering: each one fails it."""
    role = next(r for r in azure_built_in_roles().values() if r["roleName"] == name)
    document = {k: [a for p in role["permissions"] for a in p.get(k) or []]
                for k in ("actions", "notActions", "dataActions", "notDataActions")}
    operations = granted(document, "control", ("actions", "notActions"))
    data = granted(document, "data", ("dataActions", "notDataActions"))
    assert unaccounted_risks(operations, ()) or not all(op.endswith("/send/action") for op in data)


@pytest.mark.parametrize("operation", ["Microsoft.Insights/Logs/Read", "Microsoft.Resources/deploymentScripts/read",
                                       "MICROSOFT.INSIGHTS/LOGS/READ", "microsoft.resources/*/read"])
def test_linking_check_refuses_a_readonly_role_that_reads_data(operation, tmp_path):
    """The classes stand behind lint AZ003, so ``linking check``, the plan and the policy pack see them too."""
    from linking.cli import main

    document = tmp_path / "azure" / "readonly.json"
    document.parent.mkdir()
    document.write_text('{"Name": "t", "Actions": ["Microsoft.Network/*/read", "%s"], "NotActions": [], '
                        '"DataActions": [], "NotDataActions": [], "AssignableScopes": ["/subscriptions/{{SubscriptionId}}"]}' % operation)
    assert main(["check", str(document)]) == 1

"""GCP and Azure rules on classified data: Rhino Security Labs' GCP escalation methods and Google's setIamPolicy naming;
Azure wildcards expanded over the shipped operation catalogue, Microsoft's own data-plane flag. Each red-team example
is stopped by the lint, `linking check` and the policy pack."""

from __future__ import annotations

import json

import pytest

from linking.azure.lint import lint_azure
from linking.cli import main
from linking.gcp.lint import lint_gcp

from ..builders import pack_messages

GCP_EXAMPLES = {
    "implicit delegation": (["iam.serviceAccounts.implicitDelegation"], "GCP002"),
    "signBlob": (["iam.serviceAccounts.signBlob"], "GCP002"),
    "signJwt": (["iam.serviceAccounts.signJwt"], "GCP002"),
    "a bucket's IAM policy": (["storage.buckets.setIamPolicy"], "GCP007"),
    "Deployment Manager": (["deploymentmanager.deployments.create"], "GCP002"),
    "a function's new code as its service account": (
        ["cloudfunctions.functions.sourceCodeSet", "cloudfunctions.functions.update", "iam.serviceAccounts.actAs"], "GCP002"),
    "a folder-only permission in a project role": (["compute.firewallPolicies.move"], "GCP006"),
    "SSH keys in an instance's metadata": (["compute.instances.setMetadata"], "GCP008"),
    "a function's new code alone": (["cloudfunctions.functions.sourceCodeSet"], "GCP008"),
}

GCP_READONLY_EXAMPLES = ["bigquery.jobs.create", "compute.instances.getSerialPortOutput", "storage.objects.get"]

AZURE_EXAMPLES = {
    "*/write": ({"Actions": ["*/write"]}, None, "AZ001"),
    "*/action": ({"Actions": ["*/action"]}, None, "AZ001"),
    "*/*": ({"Actions": ["*/*"]}, None, "AZ001"),
    "Microsoft.Authoriz*/write": ({"Actions": ["Microsoft.Authoriz*/write"]}, None, "AZ001"),
    "role definitions": ({"Actions": ["Microsoft.Authorization/roleDefinitions/write"]}, None, "AZ001"),
    "every data action": ({"Actions": [], "DataActions": ["*"]}, None, "AZ005"),
    "readonly list actions": ({"Actions": ["Microsoft.Storage/storageAccounts/list*/action"]}, "readonly", "AZ003"),
}


@pytest.mark.parametrize("name", sorted(GCP_EXAMPLES))
def test_gcp_examples_are_stopped_with_their_class(name):
    permissions, rule = GCP_EXAMPLES[name]
    found = [f for f in lint_gcp(permissions, "role.yaml", custom_role=True) if f.rule == rule]
    assert found and "role.yaml" in found[0].location


@pytest.mark.parametrize("name", sorted(AZURE_EXAMPLES))
def test_azure_examples_are_stopped(name):
    document, tier, rule = AZURE_EXAMPLES[name]
    assert rule in {f.rule for f in lint_azure(document, "role.json", tier=tier)}


@pytest.mark.parametrize("name", sorted(GCP_EXAMPLES))
def test_linking_check_and_the_pack_stop_the_gcp_examples(name, tmp_path, capsys):
    permissions, rule = GCP_EXAMPLES[name]
    folder = tmp_path / "gcp"
    folder.mkdir()
    (folder / "custom.yaml").write_text(json.dumps({"title": "t", "stage": "GA", "includedPermissions": permissions}))
    assert main(["check", str(folder / "custom.yaml")]) == 1
    assert f"error: {rule}" in capsys.readouterr().out
    assert any(rule in m for m in pack_messages("gcp:projects/iAMCustomRole:IAMCustomRole", {"permissions": permissions}))


@pytest.mark.parametrize("name", sorted(n for n, (_, tier, _) in AZURE_EXAMPLES.items() if tier is None))
def test_the_pack_stops_the_azure_examples(name):
    document, _, rule = AZURE_EXAMPLES[name]
    permissions = [{"actions": document.get("Actions", []), "dataActions": document.get("DataActions", [])}]
    assert any(rule in m for m in pack_messages("azure-native:authorization:RoleDefinition", {"permissions": permissions}))


@pytest.mark.parametrize("permission", GCP_READONLY_EXAMPLES)
def test_a_gcp_readonly_role_that_reads_data_is_stopped_by_the_lint_and_check(permission, tmp_path, capsys):
    found = [f for f in lint_gcp([permission], "readonly.yaml", tier="readonly") if f.rule == "GCP003"]
    assert found and "[class: data read]" in found[0].detail
    folder = tmp_path / "gcp"
    folder.mkdir()
    (folder / "readonly.yaml").write_text(json.dumps({"title": "t", "stage": "GA", "includedPermissions": [permission]}))
    assert main(["check", str(folder / "readonly.yaml")]) == 1
    assert "error: GCP003" in capsys.readouterr().out


def test_every_classified_gcp_permission_exists_and_names_the_google_page_that_says_so():
    from linking.catalogue import gcp_risk_classes, load_catalogues

    catalogue = load_catalogues()["gcp"]
    classes = gcp_risk_classes()
    assert set(classes) == {"data_read", "code_execution"}
    for entries in classes.values():
        for permission, entry in entries.items():
            assert not catalogue.unknown([permission]), permission
            assert entry["source"].startswith(("https://cloud.google.com/", "https://docs.cloud.google.com/")), permission
            assert len(entry["quote"].split()) >= 4, permission


@pytest.mark.parametrize("resource", ["configmaps", "pods/log", "secrets"])
def test_a_kubernetes_readonly_tier_reads_no_configuration_or_logs(resource):
    from linking.kubernetes.lint import lint_kubernetes

    found = lint_kubernetes([{"apiGroups": [""], "resources": [resource], "verbs": ["get"]}], "readonly.yaml", tier="readonly")
    assert "K8S003" in {f.rule for f in found}

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
    "VM run command": ({"Actions": ["Microsoft.Compute/virtualMachines/runCommand/action"]}, None, "AZ007"),
    "VM extensions": ({"Actions": ["Microsoft.Compute/virtualMachineScaleSets/extensions/write"]}, None, "AZ007"),
    "AKS run command": ({"Actions": ["Microsoft.ContainerService/managedClusters/run*"]}, None, "AZ007"),
    "keys of a service no source names": ({"Actions": ["Microsoft.Media/mediaservices/listKeys/action"]}, None, "AZ006"),
    "a slot's app settings": ({"Actions": ["Microsoft.Web/sites/slots/config/list/action"]}, None, "AZ006"),
    "container app secrets": ({"Actions": ["Microsoft.App/*"]}, None, "AZ006"),
}


@pytest.mark.parametrize("name", sorted(GCP_EXAMPLES))
def test_gcp_examples_are_stopped_with_their_class(name):
    permissions, rule = GCP_EXAMPLES[name]
    found = [f for f in lint_gcp(permissions, "role.yaml", custom_role=True) if f.rule == rule]
    assert found and "role.yaml" in found[0].location


@pytest.mark.parametrize("name", sorted(AZURE_EXAMPLES))
def test_azure_examples_are_stopped(name):
    document, tier, rule = AZURE_EXAMPLES[name]
    found = [f for f in lint_azure(document, "role.json", tier=tier) if f.rule == rule]
    assert found and found[0].location.startswith("role.json ") and "[class: " in found[0].detail


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


@pytest.mark.parametrize("cloud,catalogue", [("aws", "aws"), ("azure", "azure"), ("gcp", "gcp")])
def test_every_classified_entry_exists_and_names_its_source(cloud, catalogue):
    """risk-classes.json: each entry reaches the cloud's catalogue and names the page or dataset that says so."""
    from linking.catalogue import risk_classes
    from linking.providers import load_catalogues

    known = load_catalogues()[catalogue]
    sources = ("https://cloud.google.com/", "https://docs.cloud.google.com/", "https://learn.microsoft.com/",
               "https://docs.aws.amazon.com/", "https://github.com/Cloud-Architekt/AzurePrivilegedIAM/blob/",
               "https://www.pulumi.com/registry/packages/azure-native/")
    classes = risk_classes(cloud)
    assert classes
    for entries in classes.values():
        for name, entry in entries.items():
            assert known.matches(name), name
            assert entry["source"].startswith(sources), name
            assert len(entry["quote"].split()) >= 3, name
            if "as" in entry:  # the same operation as a sourced entry, on other resource types
                sourced = {k.lower(): e for k, e in entries.items()}.get(entry["as"].lower())
                assert sourced is not None and "as" not in sourced, name
                separator = "/" if "/" in name else "."  # Azure operations end in type/verb, GCP permissions in .verb
                parts = 2 if separator == "/" else 1
                assert name.lower().split(separator)[-parts:] == entry["as"].lower().split(separator)[-parts:], name


@pytest.mark.parametrize("resource", ["configmaps", "pods/log", "secrets"])
def test_a_kubernetes_readonly_tier_reads_no_configuration_or_logs(resource):
    from linking.kubernetes.lint import lint_kubernetes

    found = lint_kubernetes([{"apiGroups": [""], "resources": [resource], "verbs": ["get"]}], "readonly.yaml", tier="readonly")
    assert "K8S003" in {f.rule for f in found}


@pytest.mark.parametrize("name", sorted(n for n, (permissions, _) in GCP_EXAMPLES.items() if "folder-only" not in n))
def test_a_gcp_custom_tier_carrying_it_stops_before_anything_registers(name, plan):
    from ..test_component import gcp_link

    permissions, rule = GCP_EXAMPLES[name]
    (plan.project_root / "custom.yaml").write_text(json.dumps({"title": "t", "stage": "GA", "includedPermissions": permissions}))
    link = {**gcp_link("acme-prod-1234"), "tier": "custom", "policyFile": "custom.yaml"}
    assert rule in str(plan.expect_error(link, "linking:link.policyFile", ""))


@pytest.mark.parametrize("name", sorted(n for n, (_, tier, _) in AZURE_EXAMPLES.items() if tier is None))
def test_an_azure_custom_tier_carrying_it_stops_before_anything_registers(name, plan):
    from ..test_component import azure_link

    document, _, rule = AZURE_EXAMPLES[name]
    subscription = "11111111-2222-3333-4444-555555555555"
    role = {"Name": "custom", "AssignableScopes": [f"/subscriptions/{subscription}"], **document}
    (plan.project_root / "role.json").write_text(json.dumps(role))
    link = {**azure_link(subscription), "tier": "custom", "policyFile": "role.json"}
    assert rule in str(plan.expect_error(link, "linking:link.policyFile", ""))


@pytest.mark.parametrize("name", sorted(AZURE_EXAMPLES))
def test_linking_check_stops_the_azure_examples(name, tmp_path, capsys):
    document, tier, rule = AZURE_EXAMPLES[name]
    folder = tmp_path / "azure"
    folder.mkdir()
    # `check` renders a document for a sample subscription, the all-zero one
    role = {"Name": "custom", "AssignableScopes": ["/subscriptions/00000000-0000-0000-0000-000000000000"], **document}
    (folder / f"{tier or 'custom'}.json").write_text(json.dumps(role))
    assert main(["check", str(folder / f"{tier or 'custom'}.json")]) == 1
    assert f"error: {rule}" in capsys.readouterr().out


def test_the_pack_reports_a_role_that_reads_every_secret():
    rules = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}]
    assert any("K8S009" in m for m in pack_messages("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", {"rules": rules}))

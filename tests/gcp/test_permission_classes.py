"""Every permission a default GCP tier keeps has a class from a source, and none of a risky class (data, credential,
code execution, identity, audit) is kept unless the tier's ledger says why or the name fence limits it to the link's
own resources (issue 31, Deliver 4)."""

from __future__ import annotations

import pytest

from linking.catalogue import risk_classes
from linking.gcp import render_role
from linking.gcp.catalogue import gcp_custom_role_support
from linking.gcp.classes import CLASSES, permission_class, unaccounted_risks, unclassified
from linking.gcp.owned import enforcement
from linking.policy import builtin_document_path, kept_by_ledger

DEFAULT_TIERS = ("readonly", "admin")


def held(tier: str) -> set[str]:
    path = builtin_document_path("gcp", tier)
    return set(render_role(path, "acme-prod", "acme-prod-1234", tier).document["includedPermissions"])


def fenced(permissions: set[str]) -> set[str]:
    return {p for p in permissions if enforcement(p).startswith("fenced by name")}


@pytest.mark.parametrize("tier", DEFAULT_TIERS)
def test_every_permission_a_default_tier_keeps_has_a_class_from_a_source(tier):
    permissions = held(tier)
    assert unclassified(permissions) == []
    for permission in permissions:
        verdict = permission_class(permission)
        assert verdict.klass in CLASSES and verdict.source and verdict.quote, permission


@pytest.mark.parametrize("tier", DEFAULT_TIERS)
def test_no_default_tier_keeps_an_unledgered_risky_permission(tier):
    permissions = held(tier)
    owned_only = fenced(permissions) if tier == "admin" else set()
    kept = kept_by_ledger(builtin_document_path("gcp", tier))
    assert unaccounted_risks(permissions, kept, owned_only) == {}


def test_the_check_catches_a_risky_or_unknown_permission_added_to_readonly():
    permissions = held("readonly") | {"run.services.get", "container.pods.get", "storage.objects.get"}
    kept = kept_by_ledger(builtin_document_path("gcp", "readonly"))
    assert set(unaccounted_risks(permissions, kept)) == {"run.services.get", "storage.objects.get"}
    assert unclassified(permissions) == ["container.pods.get"]


@pytest.mark.parametrize("permission,klass,evidence", [
    ("run.services.get", "data", "Container.env"),
    ("cloudfunctions.functions.get", "data", "CloudFunction.environmentVariables"),
    ("compute.instances.get", "data", "Metadata.items"),
    ("container.clusters.get", "credential", "MasterAuth.clientKey"),
    ("cloudsql.users.list", "credential", "User.password"),
    ("compute.vpnTunnels.get", "credential", "VpnTunnel.sharedSecret"),
    ("storage.buckets.update", "exposure", "Bucket.acl"),
])
def test_the_discovery_documents_decide_by_the_fields_a_method_returns_or_takes(permission, klass, evidence):
    verdict = permission_class(permission)
    assert (verdict.klass, verdict.source.startswith("Google API discovery")) == (klass, True)
    from linking.catalogue import shipped

    assert evidence in shipped("gcp-permission-classes.json.gz")["permissions"][permission]["fields"]


@pytest.mark.parametrize("permission,klass", [
    ("compute.sslCertificates.get", "none"),  # the private key is write-only ("only insert requests include this field")
    ("logging.sinks.create", "data"),  # "Creates a sink that exports specified log entries": data before audit
    ("logging.exclusions.create", "audit"),
    ("logging.buckets.update", "audit"),
    ("cloudsql.instances.export", "data"),
    ("resourcemanager.projects.setIamPolicy", "identity"),
    ("iam.serviceAccounts.actAs", "identity"),
    ("compute.instances.createTagBinding", "identity"),
    ("compute.images.useReadOnly", "data"),
    ("compute.instances.setMetadata", "code_execution"),
])
def test_classes_from_each_source(permission, klass):
    assert permission_class(permission).klass == klass


def test_no_gcp_tier_holds_kubernetes_api_permissions():
    """Rights inside a GKE cluster come from the Kubernetes link: a ``container.*`` permission of a tier must be one
    of GKE's own API (classed from its discovery document), never one of the Kubernetes API it maps."""
    for tier in ("readonly", "admin", "admin-wide"):
        inside = sorted(p for p in held(tier) if p.startswith("container.") and permission_class(p) is None)
        assert inside == [], tier


def test_each_reviewed_pattern_names_the_entry_it_generalises_and_matches_real_permissions():
    catalogue = set(gcp_custom_role_support())
    for entries in risk_classes("gcp").values():
        for name, entry in entries.items():
            if "*" in name:
                assert entry.get("as"), name
                assert any(permission_class(p) is not None for p in catalogue if p.endswith(name.rsplit(".", 1)[1])), name


@pytest.mark.parametrize("permission", ["run.configurations.get", "compute.vpnTunnels.get", "cloudsql.users.list"])
def test_linking_check_refuses_a_readonly_role_that_reads_data_or_credentials(permission, tmp_path, capsys):
    """The same classes stand behind the lint, so ``linking check``, the plan and the policy pack see them too."""
    from linking.cli import main

    document = tmp_path / "gcp" / "readonly.yaml"
    document.parent.mkdir()
    document.write_text(f"title: t\nstage: GA\nincludedPermissions:\n- compute.networks.list\n- {permission}\n")
    assert main(["check", str(document)]) == 1
    out = capsys.readouterr().out
    assert "GCP003" in out and permission in out and "compute.networks.list [" not in out

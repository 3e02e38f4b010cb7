"""GcpProjectLink: custom role instead of Owner, keyless access, time conditions, bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from linking.names import stable_digits
from linking.gcp import documents as gcp_iam
from linking.canonical import canonical_json
from linking.errors import LinkConfigError
from linking.gcp import owned, render_role
from linking.planned import Ambient, Secret
from linking.policy import builtin_document_path
from linking.validation import load_schema

from linking.catalogue import Catalogue

ACCOUNT = "gcp:serviceaccount/account:Account"
ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
PROJECT_BINDING = "gcp:projects/iAMMember:IAMMember"
SA_BINDING = "gcp:serviceaccount/iAMMember:IAMMember"
SERVICE = "gcp:projects/service:Service"
POOL = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
POOL_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
KEY = "gcp:serviceaccount/key:Key"
ROTATING = "time:index/rotating:Rotating"
CP_MEMBER = "serviceAccount:control-plane@cp-project.iam.gserviceaccount.com"
EXPIRY = 'request.time < timestamp("2027-06-30T00:00:00Z")'

BASE: dict[str, Any] = {
    "id": "acme-prod",
    "provider": "gcp",
    "tier": "admin",
    "owner": "platform@acme.example",
    "expiresAt": "2027-06-30T00:00:00Z",
    "controlPlane": {"gcp": {"member": CP_MEMBER}},
    "gcp": {"project": "acme-prod-1234"},
}


@pytest.fixture
def gcp_link() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def rendered(tier: str):
    return render_role(builtin_document_path("gcp", tier), "acme-prod", "acme-prod-1234", f"policy_docs/gcp/{tier}")


# --- documents --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", ["admin", "readonly"])
def test_custom_roles_match_golden(tier, golden):
    golden(f"gcp/{tier}.json", canonical_json(rendered(tier).document, pretty=True))


@pytest.fixture(scope="module")
def gcp_catalogue(catalogues: dict[str, Catalogue]) -> Catalogue:
    return catalogues["gcp"]


@pytest.mark.parametrize("tier", ["admin", "readonly"])
def test_every_permission_exists_in_the_gcp_catalogue(tier, gcp_catalogue):
    permissions = rendered(tier).document["includedPermissions"]
    assert gcp_catalogue.unknown(permissions) == []


def test_catalogue_catches_a_typo(gcp_catalogue):
    assert gcp_catalogue.unknown(["storage.object.get", "storage.buckets.get"]) == ["storage.object.get"]


FORBIDDEN_EVERYWHERE = [
    "resourcemanager.projects.setIamPolicy",
    "iam.serviceAccountKeys.create",
    "iam.serviceAccounts.actAs",
    "iam.serviceAccounts.getAccessToken",
    "iam.roles.create",
    "iam.roles.update",
]


@pytest.mark.parametrize("tier", ["admin", "readonly"])
def test_tiers_hold_no_escalation_and_no_data_reads(tier):
    from linking.catalogue import risk_classes

    permissions = set(rendered(tier).document["includedPermissions"])
    assert permissions.isdisjoint(FORBIDDEN_EVERYWHERE + ["container.secrets.get", "container.pods.exec"])
    from linking.gcp.owned import enforcement
    from linking.policy import builtin_document_path, kept_by_ledger

    # A read-only use of an image or an attached disk is a data path: only on the link's own names, or ledgered
    excused = {p for p in permissions if enforcement(p).startswith("fenced by name")} | kept_by_ledger(builtin_document_path("gcp", tier))
    assert permissions & set(risk_classes("gcp")["data_read"]) <= excused
    assert not any(p.endswith(".setIamPolicy") for p in permissions)


def test_readonly_is_get_and_list_only():
    permissions = rendered("readonly").document["includedPermissions"]
    assert all(p.rsplit(".", 1)[1] in {"get", "list", "getIamPolicy", "read", "listTagBindings", "listEffectiveTags"}
               for p in permissions)
    assert {"compute.instances.list", "container.clusters.get", "monitoring.timeSeries.list", "billing.resourceCosts.get"} <= set(permissions)


def test_admin_provisions_the_listed_services():
    permissions = set(rendered("admin").document["includedPermissions"])
    for needed in ("compute.networks.create", "compute.subnetworks.create", "compute.firewalls.create", "compute.routers.create",
                   "container.clusters.create", "cloudsql.instances.create", "redis.instances.create", "storage.buckets.create",
                   "artifactregistry.repositories.create", "dns.managedZones.create", "cloudkms.keyRings.create",
                   "pubsub.topics.create", "run.services.create", "cloudfunctions.functions.create",
                   "monitoring.alertPolicies.create", "iam.serviceAccounts.create", "compute.instances.create"):
        assert needed in permissions, needed


# --- names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link_id,expected",
    [
        ("acme-prod", "linking-acme-prod"),
        ("abc", "linking-abc"),
        ("a" * 22, "linking-" + "a" * 22),
        ("a" * 23, None),
        ("acme-production-eu-west-1-main", None),
        ("acme-prod-", None),
        ("acme-production-eu-west----xyz", None),
    ],
)
def test_service_account_id_always_fits_gcp_rules(link_id, expected):
    account_id = gcp_iam.service_account_id(link_id)
    assert gcp_iam.SERVICE_ACCOUNT_ID.match(account_id), account_id
    assert account_id == gcp_iam.service_account_id(link_id)
    if expected:
        assert account_id == expected
    else:
        assert account_id.startswith("linking-") and len(account_id) <= 30


def test_long_ids_with_a_shared_beginning_get_different_accounts():
    assert gcp_iam.service_account_id("acme-production-eu-west-1-aaa") != gcp_iam.service_account_id("acme-production-eu-west-1-bbb")


def test_role_and_pool_ids_fit_their_rules():
    import re

    assert re.match(r"^[a-zA-Z0-9_.]{3,64}$", gcp_iam.custom_role_id("acme-production-eu-west-1-main"))
    pool = gcp_iam.workload_identity_pool_id("acme-production-eu-west-1-main")
    assert re.match(r"^[a-z0-9-]{4,32}$", pool) and not pool.startswith("gcp-") and not pool.endswith("-")


# --- the component ---------------------------------------------------------------------------------------


def whole_role(result):
    """The custom role bound on the whole project (the name fence's group roles are ``<name>-role-<group>``)."""
    (role,) = [r for r in result.by_type(ROLE) if r.name.endswith("-role")]
    return role


def granted(result) -> list[str]:
    """Every permission of every custom role the link creates, sorted."""
    return sorted(p for r in result.by_type(ROLE) for p in r.inputs["permissions"])


def test_wide_scope_is_the_wider_admin_tier_with_a_warning(gcp_link, plan):
    gcp_link["gcp"]["scope"] = "wide"
    result = plan(gcp_link)
    assert granted(result) == rendered("admin-wide").document["includedPermissions"]
    assert whole_role(result).inputs["permissions"] == owned.split(rendered("admin-wide").document["includedPermissions"])[0]
    record = result.outputs["linkRecord"]
    assert [w.split()[1] for w in record["lint"]["warnings"]] == ["GCP005"] and record["gcp"]["scope"] == "wide"
    gcp_link["gcp"]["scope"] = "organization"
    plan.expect_error(gcp_link, "linking:link.gcp.scope", "project (the default")


def test_impersonation_link(gcp_link, plan):
    result = plan(gcp_link)
    account = result.one(ACCOUNT)
    assert account.inputs["accountId"] == "linking-acme-prod"
    assert account.inputs["project"] == "acme-prod-1234"
    assert account.inputs["disabled"] is False
    assert "owner platform@acme.example" in account.inputs["description"]

    role = whole_role(result)
    assert role.inputs["roleId"] == "linking_acme_prod"
    whole, fenced = owned.split(rendered("admin").document["includedPermissions"])
    assert role.inputs["permissions"] == whole and granted(result) == rendered("admin").document["includedPermissions"]

    bindings = {b.name: b.inputs for b in result.by_type(PROJECT_BINDING)}
    binding = bindings.pop("acme-prod-role-binding")
    assert binding["role"] == "projects/acme-prod-1234/roles/linking_acme_prod"
    assert binding["member"] == "serviceAccount:linking-acme-prod@acme-prod-1234.iam.gserviceaccount.com"
    assert binding["condition"]["expression"] == EXPIRY
    assert bindings == {f"acme-prod-role-binding-{group}": {
        "project": "acme-prod-1234", "role": f"projects/acme-prod-1234/roles/linking_acme_prod_{group}", "member": binding["member"],
        "condition": owned.name_condition(group, "acme-prod", EXPIRY)} for group in fenced}

    (impersonation,) = result.by_type(SA_BINDING)
    assert impersonation.inputs == {
        "serviceAccountId": "projects/acme-prod-1234/serviceAccounts/linking-acme-prod@acme-prod-1234.iam.gserviceaccount.com",
        "role": "roles/iam.serviceAccountTokenCreator",
        "member": CP_MEMBER,
        "condition": gcp_iam.expiry_condition("acme-prod", "2027-06-30T00:00:00Z"),
    }
    assert result.by_type(KEY) == [] and result.by_type(POOL) == []
    assert "linkSecrets" not in result.outputs
    record = result.outputs["linkRecord"]
    jsonschema.validate(record, load_schema("link-record.schema.json"))
    assert record["authentication"]["method"] == "impersonation"
    assert record["policySha256"] == rendered("admin").sha256


def test_expiry_condition_is_exact():
    assert gcp_iam.expiry_condition("acme-prod", "2027-06-30T00:00:00Z") == {
        "title": "linking-expiry",
        "description": "Access of link acme-prod ends at 2027-06-30T00:00:00Z",
        "expression": EXPIRY,
    }


def test_no_expiry_no_condition(gcp_link, plan):
    del gcp_link["expiresAt"]
    result = plan(gcp_link)
    conditions = {b.name: b.inputs.get("condition") for b in result.by_type(PROJECT_BINDING)}
    assert conditions.pop("acme-prod-role-binding") is None and "condition" not in result.one(SA_BINDING).inputs
    assert conditions and all("request.time" not in c["expression"] for c in conditions.values())


def test_every_api_is_left_on_when_the_link_goes(gcp_link, plan):
    services = plan(gcp_link).by_type(SERVICE)
    names = {s.inputs["service"] for s in services}
    assert {"iam.googleapis.com", "cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com",
            "iamcredentials.googleapis.com", "container.googleapis.com"} <= names
    assert all(s.inputs["disableOnDestroy"] is False and s.inputs["disableDependentServices"] is False for s in services)


def test_readonly_enables_only_base_and_extra_services(gcp_link, plan):
    gcp_link["tier"] = "readonly"
    gcp_link["gcp"]["services"] = ["bigquery.googleapis.com"]
    names = {s.inputs["service"] for s in plan(gcp_link).by_type(SERVICE)}
    assert names == {"iam.googleapis.com", "cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com",
                     "iamcredentials.googleapis.com", "bigquery.googleapis.com"}


def test_workload_identity_from_aws(gcp_link, plan):
    gcp_link["gcp"]["access"] = "workload-identity"
    gcp_link["controlPlane"] = {"aws": {"principalArn": "arn:aws:iam::111122223333:role/control-plane"}}
    result = plan(gcp_link)
    provider = result.one(POOL_PROVIDER)
    assert provider.inputs["aws"] == {"accountId": "111122223333"}
    assert provider.inputs["attributeCondition"] == 'attribute.aws_role == "arn:aws:sts::111122223333:assumed-role/control-plane"'
    (user,) = result.by_type(SA_BINDING)
    number = stable_digits("acme-prod-1234", 12)  # the project number the offline plan gives the project
    assert user.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert user.inputs["member"] == (
        f"principalSet://iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/linking-acme-prod"
        "/attribute.aws_role/arn:aws:sts::111122223333:assumed-role/control-plane"
    )
    assert user.inputs["condition"]["expression"] == EXPIRY
    assert "sts.googleapis.com" in {s.inputs["service"] for s in result.by_type(SERVICE)}
    record = result.outputs["linkRecord"]
    jsonschema.validate(record, load_schema("link-record.schema.json"))
    assert record["authentication"]["method"] == "workload-identity-federation"


def test_workload_identity_from_oidc_pins_the_subject(gcp_link, plan):
    gcp_link["gcp"]["access"] = "workload-identity"
    gcp_link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", "subject": "cp:prod", "audience": "gcp"}}
    result = plan(gcp_link)
    provider = result.one(POOL_PROVIDER)
    assert provider.inputs["oidc"] == {"issuerUri": "https://issuer.example", "allowedAudiences": ["gcp"]}
    assert provider.inputs["attributeCondition"] == 'assertion.sub == "cp:prod"'
    assert result.one(SA_BINDING).inputs["member"].endswith("/workloadIdentityPools/linking-acme-prod/subject/cp:prod")
    assert result.one(SA_BINDING).inputs["member"].startswith("principal://")


def test_key_access_rotates_and_stays_secret(gcp_link, plan):
    gcp_link["gcp"].update(access="key", keyRotationDays=30)
    result = plan(gcp_link)
    rotation = result.one(ROTATING)
    assert rotation.inputs["rotationDays"] == 30
    key = result.one(KEY)
    assert key.inputs["keepers"] == {"rotation": f"{rotation.name}-id"}
    assert result.by_type(SA_BINDING) == []
    assert isinstance(result.outputs["linkSecrets"], Secret)
    assert result.outputs["linkSecrets"].value == {"privateKey": "[secret]"}
    record = result.outputs["linkRecord"]
    jsonschema.validate(record, load_schema("link-record.schema.json"))
    assert record["authentication"]["privateKey"] == "linkSecrets.privateKey"
    assert record["authentication"]["rotatesAt"] == "(creation time + 30 days)"


def test_disabled_link_keeps_account_and_role_but_no_bindings(gcp_link, plan):
    enabled = plan(gcp_link)
    gcp_link["enabled"] = False
    disabled = plan(gcp_link)
    assert disabled.one(ACCOUNT).inputs["disabled"] is True
    assert disabled.one(ACCOUNT).urn == enabled.one(ACCOUNT).urn
    assert [r.urn for r in disabled.by_type(ROLE)] == [r.urn for r in enabled.by_type(ROLE)]
    assert disabled.by_type(PROJECT_BINDING) == [] and disabled.by_type(SA_BINDING) == []


def test_disabled_key_link_deletes_the_key_and_disables_the_pool(gcp_link, plan):
    gcp_link["enabled"] = False
    gcp_link["gcp"]["access"] = "key"
    assert plan(gcp_link).by_type(KEY) == []
    gcp_link["gcp"]["access"] = "workload-identity"
    gcp_link["controlPlane"] = {"oidc": {"issuer": "https://issuer.example", "subject": "cp"}}
    result = plan(gcp_link)
    assert result.one(POOL).inputs["disabled"] is True and result.one(POOL_PROVIDER).inputs["disabled"] is True


def test_project_guard_stops_before_anything_is_registered(gcp_link, plan):
    with pytest.raises(LinkConfigError) as raised:
        plan(gcp_link, ambient=Ambient(gcp_project="someone-else-42"))
    assert raised.value.key_path == "linking:link.gcp.project"
    assert "acme-prod-1234" in str(raised.value) and "someone-else-42" in str(raised.value)
    assert plan.registered == []


# --- bad input -------------------------------------------------------------------------------------------


def _custom(tmp_path: Path, permissions: list[str]) -> str:
    path = tmp_path / "role.yaml"
    path.write_text(yaml.safe_dump({"title": "custom", "includedPermissions": permissions}))
    return path.name


BAD = [
    ("project id too short", lambda l, t: l["gcp"].update(project="acme"), "linking:link.gcp.project", "6 to 30"),
    ("project id upper case", lambda l, t: l["gcp"].update(project="Acme-prod-1234"), "linking:link.gcp.project", "lower-case"),
    ("access unknown", lambda l, t: l["gcp"].update(access="owner"), "linking:link.gcp.access", "impersonation"),
    ("impersonation without member", lambda l, t: l.update(controlPlane={"oidc": {"issuer": "https://i.example", "subject": "s"}}),
     "linking:link.controlPlane.gcp", "impersonate"),
    ("member of a bad form", lambda l, t: l["controlPlane"]["gcp"].update(member="control-plane@cp.iam.gserviceaccount.com"),
     "linking:link.controlPlane.gcp.member", "serviceAccount:"),
    ("workload identity without aws or oidc", lambda l, t: l["gcp"].update(access="workload-identity"),
     "linking:link.controlPlane", "exactly one of aws or oidc"),
    ("workload identity from an AWS user", lambda l, t: (l["gcp"].update(access="workload-identity"),
     l.update(controlPlane={"aws": {"principalArn": "arn:aws:iam::111122223333:user/ci"}})),
     "linking:link.controlPlane.aws.principalArn", "role ARN"),
    ("keyRotationDays 0", lambda l, t: l["gcp"].update(access="key", keyRotationDays=0), "linking:link.gcp.keyRotationDays", "1 to 365"),
    ("keyRotationDays 366", lambda l, t: l["gcp"].update(access="key", keyRotationDays=366), "linking:link.gcp.keyRotationDays", "1 to 365"),
    ("more than 3000 permissions", lambda l, t: l.update(tier="custom", policyFile=_custom(t, [f"svc.things{n}.get" for n in range(3001)])),
     "linking:link.policyFile.includedPermissions", "1 too many"),
    ("permission not service.resource.verb", lambda l, t: l.update(tier="custom", policyFile=_custom(t, ["compute.instances.get", "storage-get"])),
     "linking:link.policyFile.includedPermissions[1]", "service.resource.verb"),
    ("basic role in a custom document", lambda l, t: l.update(tier="custom", policyFile=_custom(t, ["compute.instances.get", "roles/owner"])),
     "linking:link.policyFile.includedPermissions[1]", "not a basic role"),
    ("gcp section missing", lambda l, t: l.pop("gcp"), "linking:link.gcp", "project"),
]


@pytest.mark.parametrize("case,mutate,key_path,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_input_stops_before_any_resource(gcp_link, plan, tmp_path, case, mutate, key_path, expected):
    mutate(gcp_link, tmp_path)
    plan.expect_error(gcp_link, key_path, expected)


def test_example_stack_plans():
    from linking.plan.stackfile import plan_stack_file

    from ..conftest import REPO

    result = plan_stack_file(REPO / "stacks" / "Pulumi.gcp-example.yaml")
    assert result.one(SA_BINDING).inputs["role"] == "roles/iam.serviceAccountTokenCreator"
    assert json.dumps(result.outputs["linkRecord"])

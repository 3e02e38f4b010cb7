"""The pack next to `pulumi up` of our own stacks: every tier we ship passes it with no waiver, and the pack
recognises a tier by what it is (its statements, its permissions), so a copy widened anywhere loses the ledger."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import pytest

from linking.plan.stackfile import plan_stack_file
from linking.planned import plain

from ..builders import pack_messages
from ..conftest import REPO

STACKS = sorted((REPO / "stacks").glob("Pulumi.*.yaml"))


@cache
def planned(stack: Path) -> list[tuple[str, str, dict]]:
    return [(r.type, r.name, plain(r.inputs)) for r in plan_stack_file(stack).resources]


def mandatory_messages(resource_type: str, props: dict) -> list[str]:
    return pack_messages(resource_type, props, mandatory_only=True)


@pytest.mark.parametrize("stack", STACKS, ids=lambda p: p.name)
def test_every_resource_of_a_shipped_stack_passes_the_mandatory_pack(stack):
    blocked = {name: mandatory_messages(typ, props) for typ, name, props in planned(stack)}
    assert {name: found for name, found in blocked.items() if found} == {}


def aws_policy(sid: str) -> dict:
    """The planned part of the AWS example's admin tier (one of its managed policies) that holds statement ``sid``."""
    return next(document for typ, name, props in planned(REPO / "stacks" / "Pulumi.aws-example.yaml")
                if typ == "aws:iam/policy:Policy" and name.startswith("acme-prod-permissions")
                for document in [json.loads(props["policy"])] if any(s.get("Sid") == sid for s in document["Statement"]))


def statement(document: dict, sid: str) -> dict:
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


def aws_errors(document: dict) -> list[str]:
    return mandatory_messages("aws:iam/policy:Policy", {"policy": json.dumps(document)})


def test_a_part_of_the_aws_admin_tier_keeps_its_ledger_in_the_pack():
    assert aws_errors(aws_policy("KeptWithoutFenceSeeLedger")) == []
    assert aws_errors(aws_policy("ServiceLinkedRolesForProvisionedServices")) == []


@pytest.mark.parametrize("change", ["foreign action", "foreign statement", "condition loosened", "other account", "wildcard account"])
def test_a_copy_of_a_tier_widened_anywhere_loses_the_ledger(change):
    # the part that keeps an unfenced credential read (ecr:GetAuthorizationToken) by its ledger, or an IAM write
    holding = "ServiceLinkedRolesForProvisionedServices" if change == "condition loosened" else "KeptWithoutFenceSeeLedger"
    document = copy.deepcopy(aws_policy(holding))
    if change == "foreign action":
        statement(document, "KeptWithoutFenceSeeLedger")["Action"].append("secretsmanager:GetSecretValue")
    elif change == "foreign statement":
        document["Statement"].append({"Sid": "Extra", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]})
    elif change == "condition loosened":
        fenced = statement(document, "ServiceLinkedRolesForProvisionedServices")
        fenced["Condition"] = {"StringLike": {"iam:AWSServiceName": ["*"]}}
    else:
        # a statement naming the account, again, filled with another account (or a wildcard) than the rest of the document
        named = copy.deepcopy(next(s for s in document["Statement"] if s["Effect"] == "Allow" and ":123456789012:" in json.dumps(s)))
        other = "210987654321" if change == "other account" else "*"
        named["Resource"] = [r.replace(":123456789012:", f":{other}:") for r in named["Resource"]]
        document["Statement"].append(named)
    rule = "AWS006" if change == "condition loosened" else "AWS011"
    found = aws_errors(document)
    assert any(rule in message for message in found), found


def gcp_admin_role() -> dict:
    return next(props for typ, name, props in planned(REPO / "stacks" / "Pulumi.gcp-example.yaml")
                if typ == "gcp:projects/iAMCustomRole:IAMCustomRole")


def gcp_errors(props: dict) -> list[str]:
    return mandatory_messages("gcp:projects/iAMCustomRole:IAMCustomRole", props)


def test_the_gcp_admin_role_keeps_its_ledger_and_a_role_beyond_any_tier_does_not():
    role = gcp_admin_role()
    assert gcp_errors(role) == []
    widened = {**role, "permissions": [*role["permissions"], "compute.instances.setMetadata"]}
    assert any("GCP008" in m and "run.services.update" in m for m in gcp_errors(widened))
    retitled = {**role, "title": "platform deployer"}
    assert any("GCP008" in m and "run.services.update" in m for m in gcp_errors(retitled))


def test_the_pack_reads_a_gcp_role_s_tier_from_the_title_the_component_writes():
    readonly = {"title": "linking acme-prod readonly", "permissions": ["compute.instances.list", "storage.objects.get"]}
    assert any("GCP003" in m for m in gcp_errors(readonly))
    assert not any("GCP003" in m for m in gcp_errors({**readonly, "title": "linking acme-prod admin"}))


@pytest.mark.parametrize("resource_type,props,rule", [
    ("gcp:serviceaccount/iAMMember:IAMMember",
     {"serviceAccountId": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com", "role": "roles/iam.serviceAccountTokenCreator",
      "member": "serviceAccount:cp@c.iam.gserviceaccount.com"}, None),
    ("gcp:serviceaccount/iAMMember:IAMMember",
     {"serviceAccountId": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com", "role": "roles/iam.serviceAccountTokenCreator",
      "member": "allAuthenticatedUsers"}, "GCP002"),
    ("gcp:projects/iAMMember:IAMMember",
     {"project": "p", "role": "roles/iam.serviceAccountTokenCreator", "member": "serviceAccount:cp@c.iam.gserviceaccount.com"}, "GCP002"),
    ("gcp:serviceaccount/iAMMember:IAMMember",
     {"serviceAccountId": "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com", "role": "roles/iam.serviceAccountAdmin",
      "member": "user:a@b.c"}, "GCP007"),
])
def test_impersonating_one_service_account_is_advisory_and_anything_wider_is_stopped(resource_type, props, rule):
    found = mandatory_messages(resource_type, props)
    if rule is None:
        assert found == [] and any("GCP009" in m for m in pack_messages(resource_type, props))
    else:
        assert any(rule in m for m in found), found


def azure_admin_role() -> dict:
    return next(props for typ, name, props in planned(REPO / "stacks" / "Pulumi.azure-example.yaml")
                if typ == "azure-native:authorization:RoleDefinition" and "admin" in str(props.get("roleName")))


def test_the_azure_admin_role_keeps_its_ledger_and_a_wider_or_renamed_copy_does_not():
    role = azure_admin_role()
    assert mandatory_messages("azure-native:authorization:RoleDefinition", role) == []
    loosened = copy.deepcopy(role)
    loosened["permissions"][0]["notActions"] = [op for op in loosened["permissions"][0]["notActions"] if "runCommand" not in op]
    renamed = {**role, "roleName": "platform operator"}
    # run commands are out of the tier (NotActions): a copy that lets them back in is flagged
    found = mandatory_messages("azure-native:authorization:RoleDefinition", loosened)
    assert any("AZ007" in m and "virtualmachines/runcommands/write" in m for m in found), found
    # deploying to apps and writing VMs are in the tier's ledger: only a copy recognised as the tier keeps them
    found = mandatory_messages("azure-native:authorization:RoleDefinition", renamed)
    assert any("AZ006" in m and "microsoft.web/sites/publish/action" in m for m in found), found
    assert any("AZ007" in m and "microsoft.compute/virtualmachines/write" in m for m in found), found

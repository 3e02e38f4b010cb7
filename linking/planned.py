"""What a plan records, as every layer reads it: resources, a stack's plan, the ambient identity, and recorded
values (secrets as placeholders, JSON documents as documents).

A leaf: the plan's runtime writes these, each cloud's review and the review read them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from .contract import SECRET_PLACEHOLDER


KNOWN_AFTER_APPLY = "(known after apply)"
"""How the plan shows an input that depends on a value the engine learns only when the resource exists."""


@dataclass(frozen=True)
class Secret:
    """An input or output Pulumi treats as secret. Offline it only ever holds placeholders."""

    value: Any


def map_leaves(value: Any, leaf: Callable[[Any], Any], *, unwrap: bool = False) -> Any:
    """``leaf`` applied to every value that is not a dict, list or secret wrapper; secret wrappers kept, or
    removed with ``unwrap``."""
    if isinstance(value, Secret):
        inner = map_leaves(value.value, leaf, unwrap=unwrap)
        return inner if unwrap else Secret(inner)
    if isinstance(value, dict):
        return {k: map_leaves(v, leaf, unwrap=unwrap) for k, v in value.items()}
    if isinstance(value, list):
        return [map_leaves(v, leaf, unwrap=unwrap) for v in value]
    return leaf(value)


def plain(value: Any) -> Any:
    """Secret wrappers removed, at any depth: offline they only ever hold placeholders."""
    return map_leaves(value, lambda leaf: leaf, unwrap=True)


def parsed_json(value: Any) -> Any:
    """A JSON document held in a string (IAM policies) shown as the document itself."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def display(value: Any) -> Any:
    if isinstance(value, Secret):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: display(v) for k, v in value.items()}
    if isinstance(value, list):
        return [display(v) for v in value]
    return value


class Ambient:
    """What the invokes answer offline: the identity the credentials would have, by key (``aws_account_id``,
    ``gcp_project``, ...: each cloud's descriptor says which keys it reads, its mocks what each defaults to)."""

    def __init__(self, *, unknown: frozenset[str] = frozenset(), **identity: str) -> None:
        self.identity: Mapping[str, str] = dict(identity)
        self.unknown = unknown
        """Clouds the stack configures no identity for: their values are stand-ins, and the guards that compare a
        link's target with them are not checked (`linking.component.UNCHECKED`)."""

    def get(self, key: str, default: str) -> str:
        return self.identity.get(key, default)

    def __getattr__(self, key: str) -> str:
        """``ambient.aws_account_id``: a key the stack gave (AttributeError for one it did not)."""
        identity: Mapping[str, str] = self.__dict__.get("identity", {})
        if key in identity:
            return identity[key]
        raise AttributeError(key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ambient) and (self.identity, self.unknown) == (other.identity, other.unknown)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.identity.items())), self.unknown))

    def __repr__(self) -> str:
        return f"Ambient({self.identity!r}, unknown={sorted(self.unknown)!r})"


@dataclass
class PlannedResource:
    urn: str
    type: str
    name: str
    parent_urn: Optional[str]
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    """What the offline provider computed (ARNs, ids, names)."""
    provider: Optional[str] = None
    """The provider reference (``urn::id``) it registers with; None for the default provider."""
    dependencies: tuple[str, ...] = ()
    """URNs it depends on (``depends_on`` and inputs from other resources): what must exist before it."""

    def plain_input(self, key: str) -> Any:
        """An input with any secret wrapper removed."""
        return plain(self.inputs.get(key))


@dataclass
class StackPlan:
    stack: str
    resources: list[PlannedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def by_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> PlannedResource:
        found = self.by_type(type_)
        if len(found) != 1:
            raise LookupError(f"expected one {type_}, found {len(found)}")
        return found[0]

    def parent_of(self, resource: PlannedResource) -> Optional[PlannedResource]:
        return next((r for r in self.resources if r.urn == resource.parent_urn), None)

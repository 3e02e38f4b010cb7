"""An IAM policy evaluation model for tests: identity policies, a permissions boundary, explicit deny.

It follows AWS's evaluation logic for a single account: an explicit Deny in any
policy wins; otherwise the request needs an Allow in the identity policies and,
when the role has a permissions boundary, an Allow in the boundary too. Every
condition operator the shipped documents use is implemented, with the
``ForAllValues:``/``ForAnyValue:`` prefixes and the ``IfExists`` suffix; an
operator it does not know fails the test instead of guessing.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Union

Context = Mapping[str, Union[str, list[str]]]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str = "*"
    context: Mapping[str, Any] = field(default_factory=dict)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _string_match(pattern: str, value: str, *, like: bool, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern) if like else value == pattern


def _compare(base: str, expected: str, actual: str) -> bool:
    if base in ("StringEquals", "ArnEquals"):
        return _string_match(expected, actual, like=False)
    if base in ("StringLike", "ArnLike"):
        return _string_match(expected, actual, like=True)
    if base == "StringEqualsIgnoreCase":
        return _string_match(expected, actual, like=False, ignore_case=True)
    if base == "Bool":
        return str(expected).lower() == str(actual).lower()
    if base == "DateLessThan":
        return str(actual) < str(expected)
    if base == "DateGreaterThan":
        return str(actual) > str(expected)
    raise AssertionError(f"the IAM model does not know the condition operator {base}")


NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals",
           "ArnNotLike": "ArnLike", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase"}


def _lookup(context: Context, key: str) -> Optional[list[str]]:
    for name, value in context.items():
        if name.lower() == key.lower():
            return [str(v) for v in _list(value)]
    return None


def _condition_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    values = _lookup(context, key)
    expected_values = [str(v) for v in _list(expected)]
    if base == "Null":
        return (values is None) == (expected_values[0].lower() == "true")
    if values is None:
        # A missing key: ForAllValues holds (vacuously), ForAnyValue does not (nothing to match), and a single-valued
        # negated operator holds, as does anything with IfExists.
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return if_exists or base in NEGATED
    negated = base in NEGATED
    positive = NEGATED.get(base, base)

    def matches(actual: str) -> bool:
        return any(_compare(positive, e, actual) for e in expected_values)

    if qualifier == "ForAnyValue":
        # some value of the request matches (negated: matches none of the policy's values)
        return any((not matches(v)) if negated else matches(v) for v in values)
    if qualifier == "ForAllValues":
        return all((not matches(v)) if negated else matches(v) for v in values)
    hit = any(matches(v) for v in values)
    return not hit if negated else hit


def _matches_any(patterns: Iterable[str], value: str, *, ignore_case: bool) -> bool:
    return any(_string_match(p, value, like=True, ignore_case=ignore_case) for p in patterns)


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not _matches_any(_list(statement["Action"]), request.action, ignore_case=True):
            return False
    elif _matches_any(_list(statement["NotAction"]), request.action, ignore_case=True):
        return False
    if "Resource" in statement:
        if not _matches_any(_list(statement["Resource"]), request.resource, ignore_case=False):
            return False
    elif _matches_any(_list(statement["NotResource"]), request.resource, ignore_case=False):
        return False
    return all(
        _condition_holds(operator, key, expected, request.context)
        for operator, block in (statement.get("Condition") or {}).items()
        for key, expected in block.items()
    )


def _effects(documents: Iterable[Mapping[str, Any]], request: Request) -> set[str]:
    return {s["Effect"] for d in documents for s in _list(d["Statement"]) if statement_applies(s, request)}


def decide(request: Request, identity: Iterable[Mapping[str, Any]], boundary: Optional[Mapping[str, Any]] = None) -> str:
    """``"allow"``, ``"explicit deny"`` or ``"implicit deny"``, as IAM would answer within one account."""
    identity = list(identity)
    everything = identity + ([boundary] if boundary else [])
    if "Deny" in _effects(everything, request):
        return "explicit deny"
    if "Allow" not in _effects(identity, request):
        return "implicit deny"
    if boundary is not None and "Allow" not in _effects([boundary], request):
        return "implicit deny"
    return "allow"


class Principal:
    """`decide` for many requests of one principal: each action's statements are found once, so a catalogue-wide
    enumeration (hundreds of thousands of requests) stays within seconds. Same answers as `decide`."""

    def __init__(self, identity: Iterable[Mapping[str, Any]], boundary: Optional[Mapping[str, Any]] = None) -> None:
        self._identity = list(identity)
        self._boundary = [boundary] if boundary else []
        self._by_action: dict[str, tuple[tuple[dict, ...], tuple[dict, ...], tuple[dict, ...]]] = {}

    def _for(self, action: str) -> tuple[tuple[dict, ...], tuple[dict, ...], tuple[dict, ...]]:
        if action not in self._by_action:
            def matching(documents: list[Mapping[str, Any]]) -> tuple[dict, ...]:
                return tuple(s for d in documents for s in _list(d["Statement"])
                             if statement_applies({k: v for k, v in s.items() if k in ("Action", "NotAction")} |
                                                  {"Resource": "*"}, Request(action)))
            self._by_action[action] = (matching(self._identity), matching(self._boundary),
                                       tuple(s for s in matching(self._identity + self._boundary) if s["Effect"] == "Deny"))
        return self._by_action[action]

    def decide(self, request: Request) -> str:
        identity, boundary, denies = self._for(request.action)
        if any(statement_applies(s, request) for s in denies):
            return "explicit deny"
        if not any(s["Effect"] == "Allow" and statement_applies(s, request) for s in identity):
            return "implicit deny"
        if self._boundary and not any(s["Effect"] == "Allow" and statement_applies(s, request) for s in boundary):
            return "implicit deny"
        return "allow"

"""The policy pack's view of a tier we ship: it sees policies, not links, so it recognises one by its statements.

A document every Allow statement of which is a statement of a shipped tier (same Sid, Effect, Resource and
Condition with the tier's placeholders filled by one account, partition and link id throughout; its Action list
that statement's or a part of it, as the layout cuts one) keeps what that tier's ledger keeps, as the link's own
lint does. A statement widened anywhere, or one from elsewhere, and the document keeps nothing.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any, Mapping, Optional

from ..canonical import as_list
from ..policy import fill_placeholders, shipped_tiers
from .documents import AwsNames, canonical_policy

_STAND_INS = {"link": "\x01", "account": "\x02", "partition": "\x03"}
_VALUES = {"link": "[a-z][a-z0-9-]{2,29}", "account": "[0-9]{12}", "partition": "aws[a-z-]*"}
"""What each filled placeholder may be: the link id's schema pattern, an account id, a partition."""

Bound = tuple[tuple[str, str], ...]
_PART = re.compile(r"Part[0-9]+$")
"""The layout names the parts of a statement it cuts <Sid>Part1, <Sid>Part2, ... (``documents._fit_statement``)."""


@cache
def _allowed_by_sid() -> tuple[tuple[frozenset[str], dict[str, list[Mapping[str, Any]]]], ...]:
    """Per shipped document: what its ledger keeps, and its Allow statements by Sid (stand-ins for the values each
    link fills in)."""
    names = AwsNames(link_id=_STAND_INS["link"], account_id=_STAND_INS["account"], partition=_STAND_INS["partition"])
    tiers = []
    for tier in shipped_tiers("aws"):
        by_sid: dict[str, list[Mapping[str, Any]]] = {}
        for statement in canonical_policy(fill_placeholders(tier.document, names.placeholders(), "policy_docs/aws"))["Statement"]:
            if statement.get("Effect") == "Allow" and statement.get("Sid"):
                by_sid.setdefault(statement["Sid"], []).append(statement)
        tiers.append((tier.kept, by_sid))
    return tuple(tiers)


def kept_by_shipped_tier(document: Mapping[str, Any]) -> frozenset[str]:
    """What the ledger of the shipped tier this document is part of keeps; nothing when it is not one's part."""
    statements = [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping) and s.get("Effect") == "Allow"]
    if not statements:
        return frozenset()
    kept: frozenset[str] = frozenset()
    for tier_kept, by_sid in _allowed_by_sid():
        bound: Optional[Bound] = ()
        for statement in statements:
            sid = str(statement.get("Sid"))
            templates = by_sid.get(sid, []) + (by_sid.get(_PART.sub("", sid), []) if _PART.search(sid) else [])
            if bound is None:
                break
            bound = _statement_of(statement, templates, bound)
        if bound is not None:
            kept |= tier_kept
    return kept


def _statement_of(statement: Mapping[str, Any], templates: list[Mapping[str, Any]], bound: Bound) -> Optional[Bound]:
    actions = {str(a).lower() for a in as_list(statement.get("Action"))}
    rest = {k: v for k, v in statement.items() if k not in ("Action", "Sid")}
    for template in templates:
        if actions and actions <= {a.lower() for a in as_list(template.get("Action"))}:
            matched = _match(rest, {k: v for k, v in template.items() if k not in ("Action", "Sid")}, bound)
            if matched is not None:
                return matched
    return None


def _match(value: Any, template: Any, bound: Bound) -> Optional[Bound]:
    """Whether ``value`` is ``template`` with its stand-ins filled consistently with ``bound``; the bindings then."""
    if isinstance(template, str):
        return _match_text(value, template, bound) if isinstance(value, str) else None
    if isinstance(template, list) or isinstance(value, list):
        values, templates = as_list(value), list(as_list(template))
        if len(values) != len(templates):
            return None
        for item in values:  # one to one: each value an instance of a distinct template value
            for index, candidate in enumerate(templates):
                matched = _match(item, candidate, bound)
                if matched is not None:
                    bound = matched
                    del templates[index]
                    break
            else:
                return None
        return bound
    if isinstance(template, Mapping):
        if not isinstance(value, Mapping) or set(value) != set(template):
            return None
        for key in sorted(template):
            matched = _match(value[key], template[key], bound)
            if matched is None:
                return None
            bound = matched
        return bound
    return bound if value == template else None


def _match_text(value: str, template: str, bound: Bound) -> Optional[Bound]:
    found = _pattern(template, bound).fullmatch(value)
    if found is None:
        return None
    return tuple(sorted({**dict(bound), **{k: v for k, v in found.groupdict().items() if v is not None}}.items()))


@lru_cache(maxsize=4096)
def _pattern(template: str, bound: Bound) -> re.Pattern[str]:
    """The template as a regular expression: a bound stand-in is its value; an unbound one a group, once, then a
    back-reference to it."""
    values = dict(bound)
    parts, opened = [], set()
    for char in template:
        name = next((n for n, stand_in in _STAND_INS.items() if stand_in == char), None)
        if name is None:
            parts.append(re.escape(char))
        elif name in values:
            parts.append(re.escape(values[name]))
        elif name in opened:
            parts.append(f"(?P={name})")
        else:
            opened.add(name)
            parts.append(f"(?P<{name}>{_VALUES[name]})")
    return re.compile("".join(parts))

"""Grants, trust and conditions as a reviewer reads them: principals by name, conditions as ``key op value``,
values in the YAML/JSON spelling the stack file uses (``true``, ``null``), never a JSON blob."""

from __future__ import annotations

import json
from typing import Any

OPERATORS = {
    "StringEquals": "=", "StringEqualsIgnoreCase": "= (any case)", "StringNotEquals": "≠", "StringLike": "matches",
    "StringNotLike": "does not match", "ArnEquals": "=", "ArnLike": "matches", "ArnNotEquals": "≠", "ArnNotLike":
    "does not match", "DateLessThan": "before", "DateGreaterThan": "after", "DateLessThanEquals": "until",
    "DateGreaterThanEquals": "from", "NumericLessThan": "<", "NumericLessThanEquals": "≤", "NumericGreaterThan": ">",
    "NumericGreaterThanEquals": "≥", "Bool": "=", "IpAddress": "in", "NotIpAddress": "not in",
}
"""IAM's condition operators as words (a ``ForAnyValue:``/``ForAllValues:`` or ``...IfExists`` form keeps its
qualifier in front)."""


def value(item: Any) -> str:
    """A setting's value as a YAML stack file spells it: ``true``, ``null``, text unquoted, ``[a, b]``,
    ``{key: value}``."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        return "{" + ", ".join(f"{key}: {value(inner)}" for key, inner in sorted(item.items())) + "}"
    if isinstance(item, (list, tuple)):
        return "[" + ", ".join(value(inner) for inner in item) + "]"
    return json.dumps(item)


def condition(text: Any) -> str:
    """An IAM condition block (a JSON object, or its text) as ``key op value`` clauses joined by ``and``; any other
    condition (a CEL or ABAC expression) as it is written."""
    block = _json(text)
    if not isinstance(block, dict):
        return value(text)
    clauses = []
    for operator, keys in sorted(block.items()):
        qualifier, _, base = operator.rpartition(":")
        if_exists = base.endswith("IfExists")
        word = OPERATORS.get(base.removesuffix("IfExists"), base)
        for key, expected in sorted(keys.items()) if isinstance(keys, dict) else []:
            values = expected if isinstance(expected, list) else [expected]
            shown = " or ".join(value(v) for v in values)
            clause = f"{key} {word} {shown}"
            if base == "Null":  # Null true: the key is absent from the request; false: present
                clause = f"{key} is {'absent' if str(expected).lower() == 'true' else 'present'}"
            clauses.append(" ".join(part for part in (qualifier, clause, "(if present)" if if_exists else "") if part))
    return " and ".join(clauses)


def principal(text: Any) -> str:
    """An IAM principal (``{"AWS": "arn..."}``) as the names it holds; any other as it is."""
    block = _json(text)
    if not isinstance(block, dict):
        return value(text)
    names = [name for kind in sorted(block) for name in (block[kind] if isinstance(block[kind], list) else [block[kind]])]
    return ", ".join(value(name) for name in names)


def trust(entry: dict[str, Any]) -> str:
    """Who may use the link, and how: ``arn:...:role/cp may sts:AssumeRole if sts:ExternalId = [secret]``."""
    who = (principal(entry["principal"]) if entry.get("principal") else entry.get("member") or entry.get("subject")
           or entry.get("name") or entry.get("kind", ""))
    how = entry.get("action") or entry.get("role") or ""
    where = [f"{key} {entry[key]}" for key in ("issuer", "namespace", "scope") if entry.get(key)]
    when = condition(entry["condition"]) if entry.get("condition") else ""
    effect = "may not" if entry.get("effect") == "Deny" else "may"
    kind = f" ({entry['kind']})" if entry.get("kind") and entry.get("kind") != who else ""
    text = f"{who} {effect} {how}" if how else f"{who}{kind}"
    return text + (f" ({', '.join(where)})" if where else "") + (f" if {when}" if when else "")


def identity(entry: dict[str, Any]) -> str:
    """A trust entry without its conditions: the principal and what it does (what "new trust" compares)."""
    return trust({key: item for key, item in entry.items() if key != "condition"})


def _json(text: Any) -> Any:
    if isinstance(text, (dict, list)):
        return text
    if isinstance(text, str) and text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            return None
    return None

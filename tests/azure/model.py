"""An Azure RBAC evaluation model for tests: role assignments at scopes, Actions/NotActions, ABAC conditions.

A request (operation, scope, attributes) is allowed when some assignment's scope contains the request's scope,
its role's Actions match the operation and its NotActions do not (wildcards, any case), and the assignment's
condition, if any, holds. The condition evaluator knows the subset of Azure's ABAC language the link writes
(``ActionMatches``, ``!``, ``AND``/``OR`` with parentheses, ``ForAnyOfAnyValues:`` with ``GuidEquals``,
``GuidNotEquals`` and ``StringEqualsIgnoreCase``); anything else fails the test rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Mapping, Optional


@dataclass(frozen=True)
class Assignment:
    role: Mapping[str, Any]
    scope: str
    condition: Optional[str] = None


@dataclass(frozen=True)
class Request:
    operation: str
    scope: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    """``@Request[...]``/``@Resource[...]`` attribute -> value, as the condition names them."""


def _matches(patterns: list[str], operation: str) -> bool:
    return any(fnmatchcase(operation.lower(), p.lower()) for p in patterns)


def _contains(outer: str, inner: str) -> bool:
    outer, inner = outer.lower().rstrip("/"), inner.lower().rstrip("/")
    return inner == outer or inner.startswith(outer + "/")


_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<not>!)|(?P<and>AND\b)|(?P<or>OR\b)"
    r"|ActionMatches\{'(?P<action>[^']*)'\}"
    r"|(?P<attribute>@(?:Request|Resource)\[[^\]]+\])\s+ForAnyOfAnyValues:(?P<operator>\w+)\s+\{(?P<values>[^}]*)\})"
)


def _tokens(condition: str) -> list[re.Match[str]]:
    tokens, position = [], 0
    while position < len(condition.rstrip()):
        match = _TOKEN.match(condition, position)
        if match is None:
            raise AssertionError(f"the Azure model cannot read the condition at: {condition[position:position + 40]!r}")
        tokens.append(match)
        position = match.end()
    return tokens


def condition_holds(condition: str, request: Request) -> bool:
    tokens = _tokens(condition)
    position = 0

    def chain(operator: str, operand) -> bool:
        """``operand (operator operand)*``; AND binds tighter than OR."""
        nonlocal position
        value = operand()
        while position < len(tokens) and tokens[position].group(operator):
            position += 1
            right = operand()
            value = (value or right) if operator == "or" else (value and right)
        return value

    def expression() -> bool:
        return chain("or", lambda: chain("and", unary))

    def unary() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token.group("not"):
            return not unary()
        if token.group("open"):
            value = expression()
            assert tokens[position].group("close"), "unbalanced parentheses"
            position += 1
            return value
        if token.group("action") is not None:
            return request.operation.lower() == token.group("action").lower()
        return _attribute(token, request)

    result = expression()
    assert position == len(tokens), "trailing tokens in the condition"
    return result


def _attribute(token: re.Match[str], request: Request) -> bool:
    actual = request.attributes.get(token.group("attribute"))
    values = [v.strip().strip("'").lower() for v in token.group("values").split(",")]
    operator = token.group("operator")
    if actual is None:
        return False  # Azure: an attribute the request does not carry fails the comparison
    if operator in ("GuidEquals", "StringEqualsIgnoreCase"):
        return actual.lower() in values
    if operator == "GuidNotEquals":
        return actual.lower() not in values
    raise AssertionError(f"the Azure model does not know the operator {operator}")


def allowed(request: Request, assignments: list[Assignment]) -> bool:
    for assignment in assignments:
        role = assignment.role
        if not _contains(assignment.scope, request.scope):
            continue
        if not _matches(role["Actions"], request.operation) or _matches(role["NotActions"], request.operation):
            continue
        if assignment.condition is None or condition_holds(assignment.condition, request):
            return True
    return False

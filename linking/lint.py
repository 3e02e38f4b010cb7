"""The lint's rule tables, joined: every rule of every cloud (``linking/<cloud>/rules.json``) and the shared ones, as
`linking check --explain` prints them (``docs/rules.md`` lists them: ``scripts/reference_docs.py``)."""

from __future__ import annotations

from .findings import RULES as SHARED, Rule, RuleTable
from .providers import parts

RULES: RuleTable = {**SHARED, **{rule_id: rule for lint in parts("lint").values() for rule_id, rule in lint.RULES.items()}}


def explain(rule: Rule) -> str:
    """One rule, as ``linking check --explain`` prints it."""
    return (f"{rule.id} ({rule.severity}): {rule.title}\n\nWhy it matters: {rule.why}\n\nHow to fix: {rule.fix}\n\n"
            f"Source: {rule.source}\n")

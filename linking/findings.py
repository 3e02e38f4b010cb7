"""Lint findings: what a rule found, where, how severe, and the waivers that soften it.

Each cloud's rules are data, ``linking/<cloud>/rules.json`` (id, severity, title, why it matters, how to fix,
source), checked by ``linking/<cloud>/lint.py``; `linking.lint` joins the tables. An error stops a link before anything is
registered, unless the stack waives it (``linking:link.waivers``) with a reason;
a waived error becomes a warning and is printed in the plan, the diff and the
link record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from importlib import resources
from typing import Any, Iterable, Mapping, Optional

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    """``error`` (stops the link unless waived) or ``warning`` (printed and on record)."""
    title: str
    """What the rule forbids, in one line."""
    why: str
    """Why it matters: what an identity with the grant can do."""
    fix: str
    """How to fix it."""
    source: str
    """Where the rule's judgement comes from: a page, a maintained dataset, or linking's own documentation."""


RuleTable = Mapping[str, Rule]
"""Rule id -> the rule."""


def load_rules(package: str) -> dict[str, Rule]:
    """The rules of ``<package>/rules.json``, by id."""
    text = resources.files(package).joinpath("rules.json").read_text(encoding="utf-8")
    return {rule_id: Rule(rule_id, **fields) for rule_id, fields in json.loads(text).items()}


RULES: RuleTable = load_rules("linking")
"""Rules of every cloud's tiers (each cloud's own are in ``linking/<cloud>/rules.json``)."""


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    location: str
    """The document and statement (or rule) at fault."""
    detail: str
    title: str
    """What the rule forbids, from its table."""
    waiver: Optional[str] = None
    """The stack's reason, when an error was waived (it is then reported as a warning)."""

    @property
    def message(self) -> str:
        return f"{self.rule} {self.location}: {self.title}: {self.detail}"

    def render(self) -> str:
        return f"{self.severity}: {self.message}" + (f" (waived: {self.waiver})" if self.waiver else "")


def finding(rules: RuleTable, rule: str, location: str, detail: str) -> Finding:
    return Finding(rule, rules[rule].severity, location, detail, rules[rule].title)


def matches(pattern: str, action: str) -> bool:
    """A wildcard action pattern against an action name, case-insensitively (IAM's and Azure's rule)."""
    return fnmatchcase(action.lower(), pattern.lower())


def where(source: str, index: int, statement: Mapping[str, Any]) -> str:
    """``<document> Statement[i] (Sid)``: how a finding names an IAM statement."""
    return f"{source} Statement[{index}]" + (f" ({statement['Sid']})" if statement.get("Sid") else "")


def apply_waivers(findings: Iterable[Finding], waivers: Iterable[Any]) -> list[Finding]:
    """A waived error becomes a warning that carries the stack's reason. A waiver (``rule``, ``grant``, ``reason``)
    covers an error of its rule that names its grant (the action, permission or resource, in any case), and no
    other: a new escalation under a waived rule still stops the link."""
    waivers = list(waivers)

    def reason(found: Finding) -> Optional[str]:
        named = found.detail.split(" [class:")[0].lower()
        for waiver in waivers:
            if waiver.rule == found.rule and re.search(rf"(?<![\w:/.*-]){re.escape(waiver.grant.lower())}(?![\w:/.*-])", named):
                return waiver.reason
        return None

    return [replace(f, severity=WARNING, waiver=why) if f.severity == ERROR and (why := reason(f)) is not None else f
            for f in findings]


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]

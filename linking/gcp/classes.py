"""The class of a GCP permission (data, credential, code execution, identity, audit, exposure or none), each from a
source: a reviewed entry of ``risk-classes.json`` quoting Google, Rhino's escalation methods, or the REST methods the
permission authorizes as Google's discovery documents describe them (``gcp-permission-classes.json.gz``, written by
``scripts/gcp_permission_classes.py``). A permission no source decides is unclassified, never "none"."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache
from typing import Iterable, Optional

from ..catalogue import risk_classes, shipped

RISKY = ("data", "credential", "code_execution", "identity", "audit")
CLASSES = (*RISKY, "exposure", "none")
# risk-classes.json's GCP keys, which predate this list, by the class they are.
REVIEWED = {"data_read": "data", "impersonation": "identity", "runs_as_attached_account": "code_execution",
            **{name: name for name in CLASSES}}


@dataclass(frozen=True)
class Verdict:
    klass: str
    source: str
    quote: str


@cache
def _reviewed() -> tuple[dict[str, Verdict], list[tuple[str, Verdict]]]:
    exact: dict[str, Verdict] = {}
    patterns: list[tuple[str, Verdict]] = []
    for key, entries in risk_classes("gcp").items():
        for name, entry in entries.items():
            verdict = Verdict(REVIEWED[key], entry["source"], entry["quote"])
            if "*" in name:
                patterns.append((name, verdict))
            else:
                exact[name] = verdict
    return exact, sorted(patterns, key=lambda item: CLASSES.index(item[1].klass))


@cache
def _generated() -> dict[str, dict[str, str]]:
    return shipped("gcp-permission-classes.json.gz")["permissions"]


@cache
def _escalations() -> dict[str, str]:
    """The permissions that escalate on their own: a method of one permission, and acting as a service account, which
    every method of several needs (the rest of such a method is how its author used the identity, not the identity)."""
    from .catalogue import gcp_escalation_methods

    alone = {needed[0]: method for method, needed in gcp_escalation_methods().items() if len(needed) == 1}
    return {**alone, "iam.serviceAccounts.actAs": "every method that creates a resource running as an account"}


def _matches(pattern: str, permission: str) -> bool:
    """``*`` stands for one dotted segment: ``compute.*.useReadOnly`` is every Compute collection's useReadOnly."""
    return pattern.count(".") == permission.count(".") and fnmatch.fnmatchcase(permission, pattern)


def permission_class(permission: str) -> Optional[Verdict]:
    exact, patterns = _reviewed()
    if permission in exact:
        return exact[permission]
    method = _escalations().get(permission)
    if method:
        return Verdict("identity", "Rhino Security Labs GCP-IAM-Privilege-Escalation", f"part of {method}")
    generated = _generated().get(permission)
    if generated:
        return Verdict(generated["class"], f"Google API discovery: {generated['method']}", generated["quote"])
    for pattern, verdict in patterns:
        if _matches(pattern, permission):
            return verdict
    return None


def unclassified(permissions: Iterable[str]) -> list[str]:
    return sorted(p for p in permissions if permission_class(p) is None)


def unaccounted_risks(permissions: Iterable[str], kept: Iterable[str],
                      owned_only: Iterable[str] = ()) -> dict[str, Verdict]:
    """The permissions of a risky class a tier holds that neither its ledger keeps nor the name fence limits to the
    link's own resources."""
    excused = set(kept) | set(owned_only)
    verdicts = {p: permission_class(p) for p in permissions if p not in excused}
    return {p: v for p, v in sorted(verdicts.items()) if v is not None and v.klass in RISKY}

"""The class of a GCP permission (data, credential, code execution, identity, audit, exposure or none), each from a
source: a reviewed entry of ``risk-classes.json`` quoting Google, Rhino's escalation methods, or the REST methods the
permission authorizes as Google's discovery documents describe them (``gcp-permission-classes.json.gz``, written by
``scripts/gcp_permission_classes.py``). A permission no source decides is unclassified, never "none"."""

from __future__ import annotations

import fnmatch
from functools import cache
from typing import Iterable, Optional

from ..catalogue import shipped
from ..classes import CLASSES, Verdict, reviewed_entries, unaccounted

# risk-classes.json's GCP keys, which predate this list, by the class they are.
REVIEWED = {"data_read": "data", "impersonation": "identity", "runs_as_attached_account": "code_execution",
            **{name: name for name in CLASSES}}


@cache
def _reviewed() -> tuple[dict[str, Verdict], list[tuple[str, Verdict]]]:
    return reviewed_entries("gcp", REVIEWED, fold_case=False)


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
    return unaccounted({p: permission_class(p) for p in permissions}, set(kept) | set(owned_only))

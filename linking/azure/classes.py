"""The class of an Azure operation (data, credential, code execution, identity, audit, exposure or none), each from a
source, in this order: a reviewed entry of ``risk-classes.json`` quoting Microsoft or the EntraOps classification
(exact names, then patterns); Microsoft's own rule for names that carry secrets (TypeSpec's ``secret-prop``) applied
to the name of an action, or of the resource type a read returns; and the Resource Provider Contract for what is
left of reads (no secret in a GET), writes and deletes. An action no source decides is unclassified, never "none"."""

from __future__ import annotations

import fnmatch
from functools import cache
from typing import Iterable, Optional

from ..classes import CLASSES, Verdict, reviewed_entries, unaccounted

REVIEWED = {"credentials": "credential", **{name: name for name in CLASSES}}
"""risk-classes.json's Azure keys (``credentials`` predates the class names) by the class they are."""

SECRET_PROP = "https://github.com/Azure/typespec-azure/blob/main/packages/typespec-azure-resource-manager/src/rules/secret-prop.ts"
SENSITIVE_KEYWORDS = ("access", "credential", "secret", "password", "key", "token", "auth", "connection")
"""Microsoft's list of words that mark a name as sensitive information (``sensitiveKeywords`` in ``secret-prop``)."""
RESOURCE_TYPE_WORDS = ("access", "auth", "connection")
"""Of those, the words ARM also names resource types with (accessPolicies, authorizationRules,
privateEndpointConnections): a read of such a type is a GET, which the contract keeps free of secrets."""

CONTRACT = ("Azure Resource Provider Contract, as Azure/typespec-azure's ARM guideline coverage table states it "
            "(section 7, Secret Handling & Sensitive Data)")
ROLE_DEFINITIONS = "https://learn.microsoft.com/en-us/azure/role-based-access-control/role-definitions"
VERBS = {
    "read": Verdict("none", CONTRACT, "7.1 No secrets in GET/PUT/PATCH responses; 7.1 Secret retrieval via POST "
                                      "list* action"),
    "write": Verdict("none", ROLE_DEFINITIONS, "write: Enables write operations (PUT or PATCH)."),
    "delete": Verdict("none", ROLE_DEFINITIONS, "delete: Enables delete operations (DELETE)."),
}
"""What is left once no entry and no sensitive word decides: a GET by the contract, a write or a delete by ARM's verb.
A write whose property grants access, runs code, exports data or switches auditing is decided by a reviewed entry,
which is why this is the weakest source here (docs/tiers.md, Known gaps)."""


@cache
def _reviewed() -> tuple[dict[str, Verdict], list[tuple[str, Verdict]]]:
    return reviewed_entries("azure", REVIEWED, fold_case=True)


def reviewed_patterns() -> list[tuple[str, Verdict]]:
    """The reviewed ``*`` entries (lower case), risky classes first."""
    return _reviewed()[1]


def _named_secret(operation: str) -> Optional[Verdict]:
    """An action whose name, or a read whose resource type, carries one of Microsoft's sensitive words."""
    parts = operation.split("/")
    if len(parts) < 3:
        return None
    verb, name = parts[-1], parts[-2]
    words = SENSITIVE_KEYWORDS if verb == "action" else (
        tuple(w for w in SENSITIVE_KEYWORDS if w not in RESOURCE_TYPE_WORDS) if verb == "read" else ())
    word = next((w for w in words if w in name), None)
    if word is None:
        return None
    return Verdict("credential", SECRET_PROP, f"'{name}' contains '{word}', a name indicating sensitive information")


def operation_class(operation: str) -> Optional[Verdict]:
    op = operation.lower()
    exact, patterns = _reviewed()
    if op in exact:
        return exact[op]
    for pattern, verdict in patterns:
        if fnmatch.fnmatchcase(op, pattern):
            return verdict
    return _named_secret(op) or VERBS.get(op.rsplit("/", 1)[-1])


def unclassified(operations: Iterable[str]) -> list[str]:
    return sorted(op for op in operations if operation_class(op) is None)


def unaccounted_risks(operations: Iterable[str], kept: Iterable[str]) -> dict[str, Verdict]:
    """The operations of a risky class a tier holds that its ledger does not keep."""
    return unaccounted({op.lower(): operation_class(op) for op in operations}, {k.lower() for k in kept})

"""Recompute the NotActions of the shipped Azure tiers from the operation classes (``linking/azure/classes.py``).

Each tier keeps its Actions as reviewed; its NotActions become every operation the Actions reach in the shipped
catalogue whose class is data, credential, code execution, identity or audit, minus what the tier's ledger keeps.
A reviewed pattern stands for its operations where Azure can use it as written (``*`` a whole segment) and every
operation it reaches is excluded; the rest are named. Run after refreshing the catalogue or ``risk-classes.json``;
``tests/azure/test_operation_classes.py`` fails until the documents match.

    python scripts/azure_tier_exclusions.py
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path

from linking.azure.classes import operation_class, reviewed_patterns
from linking.azure.lint import effective_operations
from linking.catalogue import risk_classes, shipped
from linking.classes import RISKY
from linking.policy import builtin_document_path, kept_by_ledger

TIERS = ("readonly", "admin")


def usable_by_azure(pattern: str) -> bool:
    return "[" not in pattern and "?" not in pattern and all(s == "*" or "*" not in s for s in pattern.split("/"))


def exclusions(actions: list[str], kept: set[str]) -> list[str]:
    reached = effective_operations(actions, [], "control")
    risky = {op for op in reached if (v := operation_class(op)) is not None and v.klass in RISKY and op not in kept}
    spelled = {op.lower(): op for op in shipped("azure-operations.json.gz")["control"]}
    written = {name.lower(): name for entries in risk_classes("azure").values() for name in entries}
    chosen, covered = set(), set()
    for pattern, verdict in reviewed_patterns():
        matched = {op for op in reached if fnmatchcase(op, pattern)}
        if verdict.klass in RISKY and usable_by_azure(pattern) and matched and matched <= risky:
            chosen.add(written[pattern])
            covered |= matched
    chosen |= {spelled.get(op, op) for op in risky - covered}
    return sorted(chosen, key=str.lower)


def main() -> None:
    for tier in TIERS:
        path = Path(builtin_document_path("azure", tier))
        document = json.loads(path.read_text(encoding="utf-8"))
        document["NotActions"] = exclusions(document["Actions"], {k.lower() for k in kept_by_ledger(path)})
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{tier}: {len(document['Actions'])} Actions, {len(document['NotActions'])} NotActions")


if __name__ == "__main__":
    main()

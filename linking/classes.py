"""The classes a permission or operation falls in, the same for every cloud: what a reviewer would call a data path
(data, credential), a way into other identities or onto machines (identity, code execution), a change to the audit
trail (audit), an opening to the network or the public (exposure), or none of these. Each cloud's ``classes`` module
decides them from its own sources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

RISKY = ("data", "credential", "code_execution", "identity", "audit")
CLASSES = (*RISKY, "exposure", "none")


@dataclass(frozen=True)
class Verdict:
    klass: str
    source: str
    quote: str


def reviewed_entries(cloud: str, keys: dict[str, str], *, fold_case: bool) -> tuple[dict[str, Verdict], list[tuple[str, Verdict]]]:
    """``risk-classes.json``'s entries for ``cloud``: exact names, and patterns (``*``) ordered risky class first so
    that a pattern saying "none" never hides a risky one. ``keys`` maps the file's class keys to the classes above."""
    from .catalogue import risk_classes

    exact: dict[str, Verdict] = {}
    patterns: list[tuple[str, Verdict]] = []
    for key, entries in risk_classes(cloud).items():
        for name, entry in entries.items():
            verdict = Verdict(keys[key], entry["source"], entry["quote"])
            name = name.lower() if fold_case else name
            if "*" in name:
                patterns.append((name, verdict))
            else:
                exact[name] = verdict
    return exact, sorted(patterns, key=lambda item: CLASSES.index(item[1].klass))


def unaccounted(verdicts: dict[str, Optional[Verdict]], excused: set[str]) -> dict[str, Verdict]:
    """The risky verdicts among ``verdicts`` whose name ``excused`` (a ledger, a fence) does not account for."""
    return {name: v for name, v in sorted(verdicts.items()) if v is not None and v.klass in RISKY and name not in excused}

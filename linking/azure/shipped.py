"""The policy pack's view of a tier we ship: a role definition named as the component names a tier's
(``linking <id> <tier>``) that grants nothing beyond that tier's document (its Actions and DataActions among the
tier's, its NotActions and NotDataActions including the tier's) keeps what the tier's ledger keeps."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ..canonical import as_list
from ..policy import titled


def tier_of_name(name: object) -> Optional[str]:
    return next((t.tier for t in titled("azure", "Name", name)), None)


def _lower(document: Mapping[str, Any], key: str) -> set[str]:
    return {str(op).lower() for op in as_list(document.get(key))}


def kept_by_shipped_tier(document: Mapping[str, Any], name: object) -> frozenset[str]:
    """``document``: Actions, NotActions, DataActions, NotDataActions of a role definition."""
    kept: frozenset[str] = frozenset()
    for tier in titled("azure", "Name", name):
        granted = all(_lower(document, k) <= _lower(tier.document, k) for k in ("Actions", "DataActions"))
        excluded = all(_lower(document, k) >= _lower(tier.document, k) for k in ("NotActions", "NotDataActions"))
        if granted and excluded:
            kept |= tier.kept
    return kept

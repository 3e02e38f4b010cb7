"""The policy pack's view of a tier we ship: a custom role carries no labels, so the pack recognises one by its
title (which the component writes from the tier's document, a name-fenced group's with the group after it) and accepts what that tier's ledger keeps only for a
role so titled whose every permission is in the tier's document. A role titled otherwise keeps nothing."""

from __future__ import annotations

from typing import Iterable, Optional

from ..policy import titled
from .owned import tier_title


def tier_of_title(title: object) -> Optional[str]:
    """The tier a role's title names, written as the component writes it (``linking <id> <tier>``)."""
    return next((t.tier for t in titled("gcp", "title", tier_title(title))), None)


def kept_by_shipped_tier(permissions: Iterable[str], title: object) -> frozenset[str]:
    """What the ledger of a shipped tier keeps, for a role titled as that tier that holds nothing beyond it."""
    held = set(permissions)
    tiers = titled("gcp", "title", tier_title(title))
    return frozenset().union(*(t.kept for t in tiers if held <= set(t.document["includedPermissions"])))

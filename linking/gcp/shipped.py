"""The policy pack's view of a tier we ship: a custom role carries no labels, so the pack recognises one by its
title (which the component writes from the tier's document) and accepts what that tier's ledger keeps only for a
role so titled whose every permission is in the tier's document. A role titled otherwise keeps nothing."""

from __future__ import annotations

import re
from functools import cache
from typing import Iterable, Optional

from ..policy import kept_by_ledger, load_document, policy_docs_root

_LINK_ID = "[a-z][a-z0-9-]{2,29}"
"""The link id's schema pattern: what ``{{LinkId}}`` in a shipped title may be."""


@cache
def _shipped_roles() -> tuple[tuple[str, re.Pattern[str], frozenset[str], frozenset[str]], ...]:
    """Per shipped tier document: its tier, its title as a pattern, its permissions and what its ledger keeps."""
    roles = []
    for path in sorted((policy_docs_root() / "gcp").glob("*.yaml")):
        document = load_document(path, path.name)
        if path.name.endswith(".ledger.yaml") or "title" not in (document or {}):
            continue
        title = re.escape(document["title"]).replace(re.escape("{{LinkId}}"), _LINK_ID)
        tier = path.stem.split("-", 1)[0]
        roles.append((tier, re.compile(title), frozenset(document["includedPermissions"]), kept_by_ledger(path)))
    return tuple(roles)


def _titled(title: object) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    return [(tier, included, kept) for tier, pattern, included, kept in _shipped_roles()
            if isinstance(title, str) and pattern.fullmatch(title)]


def tier_of_title(title: object) -> Optional[str]:
    """The tier a role's title names, written as the component writes it (``linking <id> <tier>``)."""
    return next((tier for tier, _, _ in _titled(title)), None)


def kept_by_shipped_tier(permissions: Iterable[str], title: object) -> frozenset[str]:
    """What the ledger of a shipped tier keeps, for a role titled as that tier that holds nothing beyond it."""
    held = set(permissions)
    return frozenset().union(*(kept for _, included, kept in _titled(title) if held <= included))

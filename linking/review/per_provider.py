"""What the review asks of each provider's ``review`` part (``linking/<provider>/review.py``).

Each part has ``REVIEWED_INPUTS`` (type -> inputs a reviewer reads), ``extract``
(a link's resources -> grants, trust, conditions), ``grant_text``, ``grant_risks`` (of one new grant), and
where they apply ``revision_risks`` (grants removed and added together: a deny or exclusion dropped, a
widening) and ``effective_risks`` (the whole grant sets, wildcards expanded).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..providers import part, parts

Extracted = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]
"""(grants, trust, conditions): conditions on a whole binding (expiry, delegation) are kept apart from the
grants, so moving an expiry reads as one change, not every permission revoked and granted again."""


@cache
def reviewed_inputs() -> dict[str, tuple[str, ...]]:
    """Every provider's resource type -> the inputs that say who gets which access."""
    return {typ: keys for review in parts("review").values() for typ, keys in review.REVIEWED_INPUTS.items()}


def grant_text(provider: str, grant: dict[str, Any]) -> str:
    """One line a reviewer reads."""
    condition = grant.get("condition")
    return part(provider, "review").grant_text(grant) + (f" if {condition}" if condition else "")


def grant_risks(provider: str, grant: dict[str, Any]) -> list[str]:
    return part(provider, "review").grant_risks(grant)


def revision_risks(provider: str, added: list[dict[str, Any]], removed: list[dict[str, Any]]) -> list[str]:
    """A provider without deny or exclusion entries has no ``revision_risks``: every widening is a new grant."""
    judge = getattr(part(provider, "review"), "revision_risks", None)
    return judge(added, removed) if judge else []


def effective_risks(provider: str, base: list[dict[str, Any]], head: list[dict[str, Any]]) -> list[str]:
    """A provider whose grants name no wildcards to expand has no ``effective_risks``: `grant_risks` sees each."""
    judge = getattr(part(provider, "review"), "effective_risks", None)
    return judge(base, head) if judge else []

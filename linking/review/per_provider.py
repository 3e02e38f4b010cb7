"""What the review asks of each provider's ``review`` part (``linking/<provider>/review.py``).

Each part has ``REVIEWED_INPUTS`` (type -> inputs a reviewer reads), ``extract``
(a link's resources -> grants, trust, conditions), ``grant_text``, ``grant_group`` (the service or API group
the plan counts a grant under), ``grant_risks`` (of one new grant),
``revision_risks`` (grants removed and added together: a deny or exclusion dropped, a widening),
``effective_risks`` (the whole grant sets, wildcards expanded) and ``fleet_risks`` (a changed link beside the
others of its cloud); a cloud where one does not apply answers none.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..providers import part, parts
from .. import wording

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
    return part(provider, "review").grant_text(grant) + (f" if {wording.condition(condition)}" if condition else "")


def grant_group(provider: str, grant: dict[str, Any]) -> str:
    return str(part(provider, "review").grant_group(grant))


def grant_risks(provider: str, grant: dict[str, Any]) -> list[str]:
    return part(provider, "review").grant_risks(grant)


def revision_risks(provider: str, added: list[dict[str, Any]], removed: list[dict[str, Any]]) -> list[str]:
    risks: list[str] = part(provider, "review").revision_risks(added, removed)
    return risks


def effective_risks(provider: str, base: list[dict[str, Any]], head: list[dict[str, Any]]) -> list[str]:
    risks: list[str] = part(provider, "review").effective_risks(base, head)
    return risks


def fleet_risks(provider: str, entry: dict[str, Any], fleet: list[dict[str, Any]]) -> list[str]:
    risks: list[str] = part(provider, "review").fleet_risks(entry, fleet)
    return risks

"""Provenance tags: the same keys on every taggable resource of every provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import LinkSpec


MANAGED_BY = "managed-by"
OWNERSHIP_TAG = "linking:owned-by"
"""On what the control plane may work on (value: the link id): AWS resources it creates, Azure resource groups the
link creates for it. Reserved, like every ``linking:`` key, so a stack cannot set it."""


def provenance_tags(spec: LinkSpec) -> dict[str, str]:
    """The user's tags plus the provenance keys, which the user cannot override (the schema reserves them)."""
    return {
        **spec.tags,
        "linking:link-id": spec.id,
        "linking:owner": spec.owner,
        "linking:tier": spec.tier,
        "linking:expires-at": spec.expiry or "never",
        "linking:status": "enabled" if spec.enabled else "disabled",
        MANAGED_BY: "pulumi",
    }


def describe_link(spec: LinkSpec) -> str:
    """One line of provenance for description fields, where a cloud has no tags or labels."""
    return (
        f"linking {spec.id}: {spec.display_name or spec.id}; owner {spec.owner}; tier {spec.tier}; "
        f"expires {spec.expires_at or 'never'}"
    )

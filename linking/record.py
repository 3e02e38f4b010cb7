"""The link record: what the control plane ingests to register a linked account."""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, TypedDict

import pulumi

if TYPE_CHECKING:
    from .config import LinkSpec


SCHEMA_VERSION = 1


class LintSection(TypedDict):
    warnings: list[str]
    waivers: list[dict[str, str]]


LinkRecord = TypedDict(
    "LinkRecord",
    {
        "schemaVersion": int, "provider": str, "linkId": str, "displayName": str, "owner": str, "tier": str,
        "enabled": bool, "expiresAt": Optional[str], "expiryEnforcement": str, "policySha256": str,
        "target": dict[str, Any], "identity": dict[str, Any], "authentication": dict[str, Any], "lint": LintSection,
    },
)
"""The record's common keys (``linking/schemas/link-record.schema.json``); each record also has a section named
after its provider (``record["aws"]``: session length, boundaries; ``record["kubernetes"]``: scope, ownership...)."""


def link_record(
    spec: LinkSpec,
    *,
    policy_sha256: str,
    target: Mapping[str, Any],
    identity: Mapping[str, Any],
    authentication: Mapping[str, Any],
    expiry_enforcement: str,
    details: Mapping[str, Any],
    warnings: Sequence[str] = (),
) -> "pulumi.Output[LinkRecord]":
    """The public record (no secrets): values may be Outputs, nested anywhere.

    ``expiry_enforcement`` says in words what the cloud itself does at
    ``expiresAt``, and what it does not, so nobody reads more into it.
    """
    record = {
        "schemaVersion": SCHEMA_VERSION,
        "provider": spec.provider,
        "linkId": spec.id,
        "displayName": spec.display_name or spec.id,
        "owner": spec.owner,
        "tier": spec.tier,
        "enabled": spec.enabled,
        "expiresAt": spec.expires_at,
        "expiryEnforcement": expiry_enforcement,
        "policySha256": policy_sha256,
        "target": dict(target),
        "identity": dict(identity),
        "authentication": dict(authentication),
        spec.provider: dict(details),
        "lint": {
            "warnings": list(warnings),
            "waivers": [{"rule": w.rule, "grant": w.grant, "reason": w.reason} for w in spec.waivers],
        },
    }
    return pulumi.Output.from_input(typing.cast(LinkRecord, record))

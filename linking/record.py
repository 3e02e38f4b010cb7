"""The link record: what the control plane ingests to register a linked account."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pulumi

from .config import LinkSpec

SCHEMA_VERSION = 1
SCHEMA_FILE = "link-record.schema.json"


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
) -> pulumi.Output[dict[str, Any]]:
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
            "waivers": [{"rule": w.rule, "reason": w.reason} for w in spec.waivers],
        },
    }
    return pulumi.Output.from_input(record)

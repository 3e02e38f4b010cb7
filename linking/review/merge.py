"""Join the plan documents of `linking plan --shard K/N` runs into the one a single run would have written."""

from __future__ import annotations

from typing import Any

from ..canonical import canonical_json
from ..errors import LinkConfigError
from .compact import compact_stack, referenced
from .grants import plan_document_json


def merge_plans(plans: list[dict[str, Any]]) -> str:
    """One plan document, byte for byte what planning every stack in one run writes. A stack in two shards is
    an error (the shards were not cut with one N). Full-form (version 1) plans are compacted on the way."""
    documents: dict[str, str] = {}
    stacks: dict[tuple[str, str, str], str] = {}
    used: set[str] = set()
    for plan in plans:
        documents.update((digest, canonical_json(value)) for digest, value in plan.get("documents", {}).items())
        for stack in plan["stacks"]:
            if plan["schemaVersion"] == 1:
                stack = compact_stack(stack, documents)
            key = (stack["project"], stack["stack"], stack["file"])
            if key in stacks:
                raise LinkConfigError(key[2], key[1], "each stack in one shard only: were all shards cut with the same N?")
            stacks[key] = canonical_json(stack)
            used |= referenced(stack)
    return plan_document_json([stacks[key] for key in sorted(stacks)], {digest: documents[digest] for digest in used})

"""The compact plan document: each large document stored once, by hash, and referred to from every stack.

A fleet plans hundreds of links on the same few tiers. In the full form (schema version 1) every link carries its
own copy of the tier's grants and every resource its own copy of the rendered document: a GCP link alone is
about 220 KB. The compact form (version 2) keeps one copy in ``documents`` (key: sha256 of the canonical JSON)
and refers to it: a link's grants as ``grantSets`` (one per scope, the grants without their scope), a resource's
large inputs as ``{"$document": sha}``. Both forms hold the same facts; `link_grants` and `resource_inputs`
read either.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..canonical import canonical_json, sha256_hex

DOCUMENT_REF = "$document"
INLINE_LIMIT = 512
"""Inputs up to this many bytes of canonical JSON stay inline: a reference would not be smaller."""


def compact_stack(stack: dict[str, Any], documents: dict[str, str]) -> dict[str, Any]:
    """The stack entry in compact form; each document it refers to is added to ``documents`` (sha -> canonical JSON)."""

    def store(value: Any) -> str:
        text = canonical_json(value)
        digest = sha256_hex(text)
        documents.setdefault(digest, text)
        return digest

    def compact_value(value: Any) -> Any:
        return {DOCUMENT_REF: store(value)} if len(canonical_json(value)) > INLINE_LIMIT else value

    resources = [{**r, "inputs": {k: compact_value(v) for k, v in r["inputs"].items()}} for r in stack["resources"]]
    links = []
    for link in stack["links"]:
        by_scope: dict[Any, list[dict[str, Any]]] = {}
        for grant in link["grants"]:  # AWS grants carry no scope (their resource says where): None
            by_scope.setdefault(grant.get("scope"), []).append({k: v for k, v in grant.items() if k != "scope"})
        grant_sets = [
            {"scope": scope, DOCUMENT_REF: store(grants)} for scope, grants in sorted(by_scope.items(), key=lambda i: str(i[0]))
        ]
        links.append({**{k: v for k, v in link.items() if k != "grants"}, "grantSets": grant_sets})
    return {**stack, "resources": resources, "links": links}


def link_grants(documents: Mapping[str, Any], link: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A link's grants in either form."""
    if "grants" in link:
        return list(link["grants"])
    return [
        {**grant, "scope": grant_set["scope"]} if grant_set["scope"] is not None else dict(grant)
        for grant_set in link["grantSets"]
        for grant in documents[grant_set[DOCUMENT_REF]]
    ]


def same_grants(base_documents: Mapping[str, Any], base: Mapping[str, Any], head_documents: Mapping[str, Any], head: Mapping[str, Any]) -> bool:
    """Whether two links grant the same, without expanding anything when both refer to the same documents."""
    if "grantSets" in base and "grantSets" in head:
        return canonical_json(base["grantSets"]) == canonical_json(head["grantSets"])
    return canonical_json(link_grants(base_documents, base)) == canonical_json(link_grants(head_documents, head))


def resource_inputs(documents: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's reviewed inputs in either form."""
    return {
        key: documents[value[DOCUMENT_REF]] if isinstance(value, dict) and set(value) == {DOCUMENT_REF} else value
        for key, value in resource["inputs"].items()
    }


def referenced(stack: Mapping[str, Any]) -> set[str]:
    """The documents a compact stack entry refers to."""
    found = {s[DOCUMENT_REF] for link in stack["links"] for s in link.get("grantSets", [])}
    for resource in stack["resources"]:
        found |= {v[DOCUMENT_REF] for v in resource["inputs"].values() if isinstance(v, dict) and set(v) == {DOCUMENT_REF}}
    return found

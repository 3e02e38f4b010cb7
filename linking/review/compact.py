"""The compact plan document: each large document stored once, by hash, and referred to from every stack.

A fleet plans hundreds of links on the same few tiers. In the full form (schema version 1) every link carries its
own copy of the tier's grants and every resource its own copy of the rendered document: a GCP link alone is
about 220 KB. The compact form (version 2) keeps one copy in ``documents`` (key: sha256 of the canonical JSON)
and refers to it: a link's grants as ``grantSets`` (one per scope, the grants without their scope), a resource's
large inputs as ``{"$document": sha}``. A document that names the link's own values (its id, its account,
subscription or project) holds them as tokens, listed with their values in ``fill``, so that links on one tier
share it. Both forms hold the same facts; `link_grants` and `resource_inputs` read either.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from ..canonical import canonical_json, sha256_hex

DOCUMENT_REF = "$document"
INLINE_LIMIT = 512
"""Inputs up to this many bytes of canonical JSON stay inline: a reference would not be smaller."""


def compact_stack(stack: dict[str, Any], documents: dict[str, str]) -> dict[str, Any]:
    """The stack entry in compact form; each document it refers to is added to ``documents`` (sha -> canonical JSON)."""

    def store(text: str, fill: dict[str, str]) -> dict[str, Any]:
        text, used = _templated(text, fill)
        digest = sha256_hex(text)
        documents.setdefault(digest, text)
        return {DOCUMENT_REF: digest, **({"fill": used} if used else {})}

    # A stack of one link (a fleet's usual shape): its resources' documents name that link's values, so they are
    # stored as templates too and the same tier's documents are shared across the fleet.
    account_links = [link for link in stack["links"] if link.get("kind") == "account-link"]
    resource_fill = _fill_values(account_links[0]) if len(account_links) == 1 else {}

    def compact_value(value: Any) -> Any:
        text = canonical_json(value)
        return store(text, resource_fill) if len(text) > INLINE_LIMIT else value

    resources = [{**r, "inputs": {k: compact_value(v) for k, v in r["inputs"].items()}} for r in stack["resources"]]
    links = []
    for link in stack["links"]:
        by_scope: dict[Any, list[dict[str, Any]]] = {}
        for grant in link["grants"]:  # AWS grants carry no scope (their resource says where): None
            unscoped = {k: v for k, v in grant.items() if k != "scope"} if "scope" in grant else grant
            by_scope.setdefault(grant.get("scope"), []).append(unscoped)
        fill = _fill_values(link)
        grant_sets = [
            {"scope": scope, **store(canonical_json(grants), fill)}
            for scope, grants in sorted(by_scope.items(), key=lambda item: str(item[0]))
        ]
        links.append({**{k: v for k, v in link.items() if k != "grants"}, "grantSets": grant_sets})
    return {**stack, "resources": resources, "links": links}


def link_grants(documents: Mapping[str, Any], link: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A link's grants in either form."""
    if "grants" in link:
        return list(link["grants"])
    grants = []
    for grant_set in link["grantSets"]:
        stored = _document(documents, grant_set)
        grants += [{**grant, "scope": grant_set["scope"]} if grant_set["scope"] is not None else dict(grant) for grant in stored]
    return grants


def same_grants(base_documents: Mapping[str, Any], base: Mapping[str, Any], head_documents: Mapping[str, Any], head: Mapping[str, Any]) -> bool:
    """Whether two links grant the same, without expanding anything when both refer to the same documents."""
    if "grantSets" in base and "grantSets" in head:
        return canonical_json(base["grantSets"]) == canonical_json(head["grantSets"])
    return canonical_json(link_grants(base_documents, base)) == canonical_json(link_grants(head_documents, head))


def _fill_values(link: Mapping[str, Any]) -> dict[str, str]:
    """The link's own values that make its grants unique (its id, its account, subscription or project)."""
    values = {"id": link.get("id")} | {f"target.{key}": value for key, value in (link.get("target") or {}).items()}
    return {name: value for name, value in values.items() if isinstance(value, str) and len(value) >= 3}


def _token(name: str) -> str:
    return rf"\u0000{name}\u0000"  # a NUL as JSON text writes it: in no real grant (one would stop the templating)


def _templated(text: str, values: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The grants' JSON with each of the link's values replaced by a token, so that links on one tier share a
    document; and the values replaced. Exactly reversible by `_filled`: nothing is replaced when a token already
    occurs in the text or a value could match inside one."""
    usable = {n: v for n, v in values.items() if not any(v in _token(m) for m in values)}
    if any(_token(name) in text for name in usable):
        return text, {}
    used = {}
    for name, value in sorted(usable.items(), key=lambda item: (-len(item[1]), item[0])):
        if value in text:
            text = text.replace(value, _token(name))
            used[name] = value
    return text, used


def _filled(text: str, used: Mapping[str, str]) -> str:
    for name, value in sorted(used.items(), key=lambda item: (len(item[1]), item[0])):
        text = text.replace(_token(name), value)
    return text


def resource_inputs(documents: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's reviewed inputs in either form."""
    return {key: _document(documents, value) if _is_reference(value) else value for key, value in resource["inputs"].items()}


def referenced(stack: Mapping[str, Any]) -> set[str]:
    """The documents a compact stack entry refers to."""
    found = {s[DOCUMENT_REF] for link in stack["links"] for s in link.get("grantSets", [])}
    for resource in stack["resources"]:
        found |= {v[DOCUMENT_REF] for v in resource["inputs"].values() if _is_reference(v)}
    return found


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and DOCUMENT_REF in value and set(value) <= {DOCUMENT_REF, "fill"}


def _document(documents: Mapping[str, Any], reference: Mapping[str, Any]) -> Any:
    stored = documents[reference[DOCUMENT_REF]]
    return json.loads(_filled(canonical_json(stored), reference["fill"])) if reference.get("fill") else stored

"""``linking diff BASE.json HEAD.json``: who gains or loses which permission, where, until when.

Compares two plan documents link by link and flags the changes a second
reviewer should look at (risks): a new wildcard, a new IAM, role-assignment or
RBAC write, an expiry removed or extended, trust widened, a tier raised, a
credential moving away from keyless, a new or re-enabled link.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Optional

from ..canonical import canonical_json
from ..errors import LinkConfigError
from ..files import MAX_PLAN_BYTES, parse_json, read_text
from ..validation import schema_errors
from .compact import link_grants, same_grants
from .. import wording
from .grants import PLAN_SCHEMA_FILE, READABLE_PLAN_VERSIONS
from ..providers import PROVIDERS
from .per_provider import effective_risks, fleet_risks, grant_risks, grant_text, revision_risks

KEYED_CREDENTIALS = {"service-account-key", "client-secret", "service-account-token"}
TIER_RANK = {"readonly": 0, "custom": 1, "admin": 2}

def load_plan(path: Path) -> dict[str, Any]:
    """A plan document, or a `LinkConfigError` saying why the file is not one."""
    document = parse_json(read_text(Path(path), str(path), limit=MAX_PLAN_BYTES), str(path), str(path))
    if not isinstance(document, dict) or document.get("kind") != "linking-plan":
        raise LinkConfigError(str(path), None, "a linking plan document (from `linking plan --json`): no kind linking-plan here")
    if document.get("schemaVersion") not in READABLE_PLAN_VERSIONS:
        raise LinkConfigError(
            f"{path}: schemaVersion",
            document.get("schemaVersion"),
            f"plan schema version {' or '.join(map(str, READABLE_PLAN_VERSIONS))}, which this linking reads: "
            "plan both revisions with the same linking",
        )
    errors = schema_errors(PLAN_SCHEMA_FILE, document, str(path))
    if errors:
        raise errors[0]
    return document


def _secret_changes(base_stack: Optional[dict[str, Any]], head_stack: Optional[dict[str, Any]]) -> list[str]:
    """Secure config values whose ciphertext changed (a rotated external ID, say), added or removed."""
    if base_stack is None or head_stack is None:
        return []
    before, after = base_stack["secureValues"], head_stack["secureValues"]
    return [
        f"secret {key} {'set' if key not in before else 'removed' if key not in after else 'changed'}"
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    ]


def _links(plan: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """``stack/link-key`` -> (stack, link)."""
    return {
        f"{stack['project']}/{stack['stack']}/{link['key']}": (stack, link)
        for stack in plan["stacks"]
        for link in stack["links"]
    }


def _set(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {canonical_json(e): e for e in entries}


def diff_link(
    key: str,
    base: Optional[dict[str, Any]],
    head: Optional[dict[str, Any]],
    base_documents: Mapping[str, Any] = MappingProxyType({}),
    head_documents: Mapping[str, Any] = MappingProxyType({}),
) -> dict[str, Any]:
    """What changed for one link; ``base`` or ``head`` is None for a removed or added link. Links of a compact
    plan refer to ``*_documents``; their grants are expanded only when they differ."""
    provider = (head or base or {})["provider"]
    if base is not None and head is not None and same_grants(base_documents, base, head_documents, head):
        base_grants = head_grants = {}
    else:
        base_grants = _set(link_grants(base_documents, base) if base else [])
        head_grants = _set(link_grants(head_documents, head) if head else [])
    base_trust, head_trust = _set(base["trust"] if base else []), _set(head["trust"] if head else [])
    added = [head_grants[k] for k in sorted(head_grants.keys() - base_grants.keys())]
    removed = [base_grants[k] for k in sorted(base_grants.keys() - head_grants.keys())]
    trust_added = [head_trust[k] for k in sorted(head_trust.keys() - base_trust.keys())]
    trust_removed = [base_trust[k] for k in sorted(base_trust.keys() - head_trust.keys())]
    changes: list[str] = []
    risks: list[str] = []
    if base is None:
        changes.append("link added")
        risks.append("new link: a new standing way into an account")
    elif head is None:
        changes.append("link removed")
        risks.append(
            "link removed from the stacks: deleting a stack file destroys nothing, the access persists until "
            "`pulumi destroy` of that stack (or `enabled: false`), now unreviewed"
        )
    else:
        changed, revised = _link_changes(base, head, trust_added)
        changes += changed
        risks += revised
    if base is not None:
        for grant in added:
            risks += grant_risks(provider, grant)
        if head_grants:  # a link that keeps no grant at all (disabled) loses its denies with everything else
            risks += revision_risks(provider, added, removed) + _scope_widenings(added, removed)
        if added or removed:
            risks += effective_risks(provider, list(base_grants.values()), list(head_grants.values()))
    access_changes, access_risks = _access_resource_changes(base, head)
    changes += access_changes
    risks += access_risks
    for waiver in _new_waivers(base, head):
        risks.append(f"waiver added: {waiver.get('rule')} on {waiver.get('grant', 'every grant of the rule')} "
                     f"({waiver.get('reason')})")
    lint_changes, lint_risks = _lint_changes(base, head)
    changes += lint_changes
    risks += lint_risks
    latest = head or base
    assert latest is not None  # a link is in at least one of the plans
    return {
        "key": key,
        "provider": provider,
        "status": "added" if base is None else "removed" if head is None else "changed",
        "owner": latest["owner"],
        "tier": latest["tier"],
        "target": latest.get("target", {}),
        "id": latest.get("id", ""),
        "headline": _headline(base, head),
        "principals": sorted({wording.trust(t) for t in latest.get("trust", [])}),
        "granted": [grant_text(provider, g) for g in added],
        "revoked": [grant_text(provider, g) for g in removed],
        "trustAdded": [wording.trust(t) for t in trust_added],
        "trustRemoved": [wording.trust(t) for t in trust_removed],
        "changes": changes,
        "risks": sorted(set(risks), key=_severity),
    }


def _link_changes(base: dict[str, Any], head: dict[str, Any], trust_added: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """What changed on a link both plans have, besides its grants: its fields, identity, settings, conditions,
    expiry, tier, credential and trust; and which of those are risks."""
    changes: list[str] = []
    risks: list[str] = []
    for field in ("tier", "credential", "owner", "enabled", "expiresAt"):
        if base[field] != head[field]:
            changes.append(f"{field}: {wording.value(base[field])} -> {wording.value(head[field])}")
    if canonical_json(base["identity"]) != canonical_json(head["identity"]):
        changes.append(f"identity replaced: {canonical_json(base['identity'])} -> {canonical_json(head['identity'])}")
    changes_in_settings, settings_risks = _settings_changes(base.get("settings", {}), head.get("settings", {}))
    changes += changes_in_settings
    risks += settings_risks
    if _set(base["conditions"]) != _set(head["conditions"]):
        changes.append("binding conditions changed")
    for condition in sorted(_set(base["conditions"]).keys() - _set(head["conditions"]).keys()):
        risks.append(f"condition removed on {json.loads(condition)['on']}")
    if base["expiresAt"] and not head["expiresAt"]:
        risks.append("expiry removed")
    elif base["expiresAt"] and head["expiresAt"] and head["expiresAt"] > base["expiresAt"]:
        risks.append(f"expiry extended to {head['expiresAt']}")
    if TIER_RANK[head["tier"]] > TIER_RANK[base["tier"]]:
        risks.append(f"tier raised: {base['tier']} -> {head['tier']}")
    if head["credential"] in KEYED_CREDENTIALS and base["credential"] not in KEYED_CREDENTIALS:
        risks.append(f"credential no longer keyless: {base['credential']} -> {head['credential']}")
    if head["enabled"] and not base["enabled"]:
        risks.append("access re-enabled")
    known = {wording.identity(t) for t in base["trust"]}
    widening = [t for t in trust_added if t.get("effect") != "Deny" and wording.identity(t) not in known]
    if widening:
        risks.append("trust widened: " + "; ".join(wording.trust(t) for t in widening))
    moved = [t for t in trust_added if t.get("effect") != "Deny" and wording.identity(t) in known
             and _without_expiry(t, head) not in {_without_expiry(b, base) for b in base["trust"]}]
    if moved:
        risks.append("trust conditions changed: " + "; ".join(wording.trust(t) for t in moved))
    return changes, risks


def _without_expiry(entry: dict[str, Any], link: dict[str, Any]) -> str:
    """A trust entry with the link's own expiry taken out: moving ``expiresAt`` is its own headline, not a trust
    change."""
    text = wording.trust(entry)
    return text.replace(str(link["expiresAt"]), "{expiresAt}") if link.get("expiresAt") else text


TIER_WORDS = {1: "raised", -1: "lowered"}


def _headline(base: Optional[dict[str, Any]], head: Optional[dict[str, Any]]) -> list[str]:
    """What a reviewer must read first about one link, most severe first, in plain words: the tier, who may use
    it, until when, whether it exists or is revoked, and the waivers it adds (grants are counted apart)."""
    if base is None or head is None:
        return ["new link" if base is None else "link removed (the access stays until its stack is destroyed)"]
    lines = []
    step = (TIER_RANK[head["tier"]] > TIER_RANK[base["tier"]]) - (TIER_RANK[head["tier"]] < TIER_RANK[base["tier"]])
    if step:
        lines.append(f"tier {TIER_WORDS[step]}: {base['tier']} → {head['tier']}")
    scope = (base.get("settings") or {}).get("scope"), (head.get("settings") or {}).get("scope")
    if scope[0] != scope[1] and scope[1] is not None:
        lines.append(f"scope: {scope[0]} → {scope[1]}")
    before, after = {wording.identity(t) for t in base["trust"]}, {wording.identity(t) for t in head["trust"]}
    lines += [f"new trust: {who}" for who in sorted(after - before)]
    if head["enabled"]:  # a revocation removes every way in: it says so itself
        lines += [f"trust removed: {who}" for who in sorted(before - after)]
    old, new = base.get("expiresAt"), head.get("expiresAt")
    if old != new:
        lines.append("expiry removed" if not new else f"expiry set: {new}" if not old else
                     f"expiry {'extended' if new > old else 'brought forward'}: {old} → {new}")
    if base["enabled"] != head["enabled"]:
        lines.append("revoked (enabled: false)" if not head["enabled"] else "re-enabled (enabled: true)")
    lines += [f"waiver added: {w.get('rule')} on {w.get('grant', 'every grant of the rule')} ({w.get('reason')})"
              for w in _new_waivers(base, head)]
    return lines


def _lint_changes(base: Optional[dict[str, Any]], head: Optional[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """New lint warnings of the head: a waived error is a risk, any other warning a change."""
    changes: list[str] = []
    risks: list[str] = []
    base_warnings = set(base["lint"]["warnings"]) if base else set()
    for warning in sorted(set(head["lint"]["warnings"]) - base_warnings if head else []):
        if "(waived:" in warning:
            risks.append(f"new waived lint error: {warning}")
        else:
            changes.append(f"new lint {warning}")
    return changes, risks


HEADLINE_RISKS = ("tier raised", "trust widened", "trust conditions changed", "new link", "access re-enabled",
                  "ownership fence dropped", "bound cluster-wide", "credential no longer keyless", "permissions boundary removed",
                  "expiry removed", "expiry extended", "longer sessions", "Pod Security lowered", "claims allowed",
                  "names shared", "waiver added", "new waived lint error", "link removed")
"""Risks a reviewer must see before any grant-level detail, most severe first (a long list is cut after 200)."""


def _severity(risk: str) -> tuple[int, str]:
    rank = next((index for index, prefix in enumerate(HEADLINE_RISKS) if risk.startswith(prefix)), len(HEADLINE_RISKS))
    return rank, risk


def _new_waivers(base: Optional[dict[str, Any]], head: Optional[dict[str, Any]]) -> list[dict[str, Any]]:
    """Waivers in the head that the base did not have, a waiver moved to another grant (widened) among them."""
    before = {canonical_json({k: v for k, v in w.items() if k != "reason"}) for w in (base or {}).get("lint", {}).get("waivers", [])}
    return [w for w in (head or {}).get("lint", {}).get("waivers", [])
            if canonical_json({k: v for k, v in w.items() if k != "reason"}) not in before]


def _access_resource_changes(base: Optional[dict[str, Any]], head: Optional[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Access-granting resources the review lists whole (``accessResources``): each one added or changed is risky,
    since linking cannot say what it grants; one removed is a change."""
    before = {(r["type"], r["name"]): canonical_json(r["inputs"]) for r in (base or {}).get("accessResources", [])}
    after = {(r["type"], r["name"]): canonical_json(r["inputs"]) for r in (head or {}).get("accessResources", [])}
    changes, risks = [], []
    for key in sorted(before.keys() | after.keys()):
        kind, name = key
        if key not in before:
            risks.append(f"access resource added: {kind} {name} (linking cannot read it as grants: review {after[key][:200]})")
        elif key not in after:
            changes.append(f"access resource removed: {kind} {name}")
        elif before[key] != after[key]:
            risks.append(f"access resource changed: {kind} {name} (now {after[key][:200]})")
    return changes, risks


def _scope_widenings(added: list[dict[str, Any]], removed: list[dict[str, Any]]) -> list[str]:
    """The same grant at a wider scope: an Azure resource group to its subscription, a namespace to the cluster."""
    def rest(grant: dict[str, Any]) -> str:
        return canonical_json({k: v for k, v in grant.items() if k != "scope"})

    before: dict[str, list[str]] = {}
    for grant in removed:
        if "scope" in grant:
            before.setdefault(rest(grant), []).append(str(grant["scope"]))
    widened = set()
    for grant in (g for g in added if "scope" in g):
        scope = str(grant["scope"])
        for old in before.get(rest(grant), []):
            if scope == "cluster" or (old.lower().startswith(scope.lower().rstrip("/") + "/")):
                widened.add(f"scope widened: {old} -> {scope}")
    return sorted(widened)


def _settings_changes(base: Mapping[str, Any], head: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Each setting of the link record that changed; risky when a session gets longer, a permissions boundary
    goes, or a tier is bound more widely."""
    changes, risks = [], []
    for key in sorted(base.keys() | head.keys()):
        before, after = base.get(key), head.get(key)
        if canonical_json(before) == canonical_json(after):
            continue
        changes.append(f"{key}: {wording.value(before)} -> {wording.value(after)}")
        if key.startswith("maxSession") and isinstance(before, (int, float)) and isinstance(after, (int, float)) and after > before:
            risks.append(f"longer sessions: {key} {before} -> {after}")
        if key == "permissionsBoundaryArn" and before and not after:
            risks.append(f"permissions boundary removed: {before}")
        if key == "podSecurity" and isinstance(after, dict) and after.get("pod-security.kubernetes.io/enforce") != "restricted":
            risks.append(f"Pod Security lowered: enforce {after.get('pod-security.kubernetes.io/enforce')} in the link's namespaces")
        if key == "scope" and after == "cluster":
            risks.append(f"bound cluster-wide: scope {before} -> {after}")
        if key == "scope" and after in ("account", "subscription", "wide"):
            risks.append(f"ownership fence dropped: scope {before} -> {after} (the admin tier reaches what it did not create)")
        if key == "allowClaims":
            added = [c for c in after or [] if c not in (before or [])]
            if added:
                risks.append("claims allowed: the admin tier may stamp untagged resources it did not create: "
                             + "; ".join(f"{c.get('service')} ({c.get('reason')})" for c in added))
        if key == "revokeWorkloads":
            risks.append(f"revokeWorkloads switched: {wording.value(before)} -> {wording.value(after)} "
                         + ("(disabling the link no longer stops the roles it made)" if before else "(disabling the link stops every role it made)"))
        if key == "assignableScopes" and isinstance(before, list) and isinstance(after, list):
            wider = [s for s in after if not any(str(s).lower().startswith(str(b).lower()) for b in before)]
            if wider:
                risks.append(f"assignable scopes widened: {', '.join(map(str, wider))}")
    return changes, risks


def diff_plans(base: dict[str, Any], head: dict[str, Any], code: Optional[list[dict[str, str]]] = None) -> dict[str, Any]:
    """Every link that changed between two plans, and the stacks that failed to plan; with ``code`` (the judge's
    `linking.review.code.code_changes` of the two checkouts), the code files that changed, each a risk."""
    base_links, head_links = _links(base), _links(head)
    failed_in_head = {(s["project"], s["stack"]) for s in head["stacks"] if s["status"] == "failed"}
    links = []
    for key in sorted(base_links.keys() | head_links.keys()):
        base_stack, before = base_links.get(key, (None, None))
        head_stack, after = head_links.get(key, (None, None))
        if after is None and base_stack is not None and (base_stack["project"], base_stack["stack"]) in failed_in_head:
            assert before is not None  # removed from a stack that failed: its base entry is what is known
            links.append(_unknown(key, before))
            continue
        entry = diff_link(key, before, after, base.get("documents", {}), head.get("documents", {}))
        entry["changes"] += _secret_changes(base_stack, head_stack)
        if entry["status"] != "changed" or any(entry[k] for k in ("granted", "revoked", "trustAdded", "trustRemoved", "changes", "risks")):
            links.append(entry)
    _flag_fleet_risks(links, head_links)
    # A stack that does not plan hides what it grants (a lint error stops it, for one): risky by itself.
    failed = sorted(f"{s['file']}: {s['error']}" for s in head["stacks"] if s["status"] == "failed")
    changed = {link["key"] for link in links}
    warned = _new_stack_warnings(base, head)
    return {
        "code": list(code or []),
        "links": links,
        "failedStacks": failed,
        "stackWarnings": warned,
        "unchanged": len([key for key in head_links if key not in changed]),
        "risky": bool(failed) or bool(code) or bool(warned) or any(link["risks"] for link in links),
    }


def _flag_fleet_risks(entries: list[dict[str, Any]], head_links: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """What a changed link risks beside the other links of its cloud in the head (`fleet_risks`: AWS links that
    share names in one account)."""
    fleet: dict[str, list[dict[str, Any]]] = {}
    for _, link in head_links.values():
        fleet.setdefault(link.get("provider", ""), []).append(link)
    for entry in entries:
        provider = entry.get("provider", "")
        if provider in PROVIDERS and entry.get("status") != "removed":
            entry["risks"] += fleet_risks(provider, entry, fleet.get(provider, []))


def _new_stack_warnings(base: dict[str, Any], head: dict[str, Any]) -> list[str]:
    """Warnings of a head stack its base did not have: each says the plan could not see everything `pulumi up`
    will use (an ESC environment supplies config and environment variables offline planning cannot resolve). A
    link's own lint warnings are not among them: each link's review shows its new ones."""
    before = {(s["project"], s["stack"]): set(s.get("warnings", [])) for s in base["stacks"]}
    return sorted(f"{s['file']}: {warning}" for s in head["stacks"]
                  for warning in s.get("warnings", []) if warning not in before.get((s["project"], s["stack"]), set())
                  and not any(warning.endswith(lint) for link in s.get("links", []) for lint in link["lint"]["warnings"]))


def _unknown(key: str, base: dict[str, Any]) -> dict[str, Any]:
    """A link whose stack fails to plan in the head: not removed, unknown (the head may grant anything)."""
    return {
        "key": key, "provider": base["provider"], "status": "failed to plan", "owner": base["owner"], "tier": base["tier"],
        "target": base.get("target", {}), "id": base.get("id", ""), "principals": [],
        "headline": ["its stack failed to plan: what it would grant cannot be reviewed"],
        "granted": [], "revoked": [], "trustAdded": [], "trustRemoved": [], "changes": [],
        "risks": ["its stack failed to plan in the head: what it would grant cannot be reviewed"],
    }

"""Access review: a stack's plan as normalised grants and trust, and the plan JSON document.

A grant is one (who may do what, where, under which condition) fact, the same
shape for every link of a provider, so two plans diff grant by grant. Trust
entries say who may become the identity. Nothing here calls a cloud: it reads
what the offline plan recorded.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from ..canonical import canonical_json
from ..contract import SECRET_PLACEHOLDER
from ..planned import PlannedResource, StackPlan, parsed_json, plain
from ..providers import part
from .per_provider import reviewed_inputs

PLAN_SCHEMA_VERSION = 2
READABLE_PLAN_VERSIONS = (1, 2)
"""Version 1 is the full form (each link its own grants); `linking diff` reads both."""
PLAN_SCHEMA_FILE = "plan.schema.json"
LINK_COMPONENTS = {
    "linking:aws:AccountLink",
    "linking:azure:SubscriptionLink",
    "linking:gcp:ProjectLink",
    "linking:kubernetes:ClusterLink",
}
WORKLOAD_COMPONENT = "linking:workload:LinkedServiceAccount"


def _sorted_unique(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """De-duplicated, ordered by each entry's (key, value) pairs, keys sorted (entries hold only strings, booleans
    and None)."""
    shapes = {tuple(entry) for entry in entries}
    if len(shapes) == 1:  # one set of keys (a provider's grants): the values alone order them the same, faster
        order = sorted(next(iter(shapes)))
        keyed: dict[tuple[Any, ...], dict[str, Any]] = {tuple(["" if (v := e[k]) is None else str(v) for k in order]): e for e in entries}
    else:
        keyed = {tuple((k, "" if v is None else str(v)) for k, v in sorted(e.items())): e for e in entries}
    return [keyed[key] for key in sorted(keyed)]


def _descendants(plan: StackPlan, root: PlannedResource) -> list[PlannedResource]:
    found, frontier = [], [root.urn]
    while frontier:
        parent = frontier.pop()
        children = [r for r in plan.resources if r.parent_urn == parent]
        found += children
        frontier += [c.urn for c in children]
    return found


def _display_inputs(resource: PlannedResource) -> dict[str, Any]:
    return {k: parsed_json(plain(resource.inputs[k])) for k in reviewed_inputs().get(resource.type, ()) if k in resource.inputs}


def _raw_access(plan: StackPlan) -> list[dict[str, Any]]:
    """Resources that grant access outside any linking component (an `aws.iam.Role` a program declares itself),
    one entry per provider, so their grants are reviewed and diffed like a link's. Every type of the providers'
    access catalogue counts (`linking.catalogue.access_resource_types`): one the provider's review reads as grants
    (``REVIEWED_INPUTS``) is, any other is listed whole in ``accessResources`` (a bucket policy, a Helm release, an
    ARM deployment), so it can never pass unseen; a component the provider implements (``yaml/v2:ConfigGroup``,
    ``helm.sh/v4:Chart``) counts, since the offline plan cannot expand what it applies."""
    owned = {r.urn for c in plan.resources if c.type in LINK_COMPONENTS | {WORKLOAD_COMPONENT} for r in [c, *_descendants(plan, c)]}
    reviewed, access = reviewed_inputs(), _access_types()
    by_provider: dict[str, list[PlannedResource]] = {}
    listed: dict[str, list[dict[str, Any]]] = {}
    for resource in plan.resources:
        if resource.urn in owned or resource.type not in access:  # the catalogue holds every type a review reads too
            continue
        provider, inputs = access[resource.type]
        resources = by_provider.setdefault(provider, [])
        if resource.type in reviewed and resource.custom:
            resources.append(resource)
        if resource.type not in reviewed or _unread_inputs(resource, inputs):
            listed.setdefault(provider, []).append({
                "type": resource.type, "name": resource.name,
                "inputs": {key: parsed_json(plain(resource.inputs[key])) for key in inputs if key in resource.inputs},
            })
    entries: list[dict[str, Any]] = []
    for provider, resources in sorted(by_provider.items()):
        grants, trust, conditions = part(provider, "review").extract(resources)
        entries.append({
            "key": f"resources:{provider}", "kind": "resources", "provider": provider, "id": provider,
            "owner": "", "tier": "custom", "enabled": True, "expiresAt": None, "expiryEnforcement": "no expiry",
            "credential": "declared by the program", "identity": {"resources": sorted(r.name for r in resources)},
            "target": {}, "trust": _sorted_unique(trust), "conditions": _sorted_unique(conditions),
            "grants": _sorted_unique(grants), "lint": {"warnings": [], "waivers": []},
            **({"accessResources": sorted(listed[provider], key=lambda r: (r["type"], r["name"]))} if provider in listed else {}),
        })
    return entries


@cache
def _access_types() -> dict[str, tuple[str, list[str]]]:
    """Resource type -> (provider, the inputs that say who gets what), over the access catalogue."""
    from ..catalogue import access_resource_types

    return {typ: (provider, inputs) for provider, types in access_resource_types().items() for typ, inputs in types.items()}


def _unread_inputs(resource: PlannedResource, inputs: list[str]) -> bool:
    """Whether a type the review reads as grants carries access in inputs it does not read (an `aws.iam.Role`'s
    ``managedPolicyArns`` and ``inlinePolicies`` beside its trust)."""
    read = set(reviewed_inputs().get(resource.type, ()))
    return any(resource.inputs.get(key) not in (None, [], {}, "") for key in inputs if key not in read)


def review_stack(plan: StackPlan, *, file: str, project: str, secure_values: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """The plan document's entry for one stack: resources, and each link's identity, trust and grants."""
    by_urn = {r.urn: r for r in plan.resources}
    resources = [
        {
            "type": r.type,
            "name": r.name,
            "parent": by_urn[r.parent_urn].name if r.parent_urn in by_urn else None,
            "inputs": _display_inputs(r),
        }
        for r in plan.resources
    ]
    links = _account_links(plan) + _service_account_links(plan)
    links += _raw_access(plan)
    return {
        "stack": plan.stack,
        "project": project,
        "file": file,
        "status": "planned",
        "error": None,
        "warnings": list(plan.warnings),
        "secureValues": dict(sorted((secure_values or {}).items())),
        "resources": sorted(resources, key=lambda r: (r["parent"] or "", r["type"], r["name"])),
        "links": sorted(links, key=lambda link: link["key"]),
    }


def _account_links(plan: StackPlan) -> list[dict[str, Any]]:
    """Each link component's entry, from its record: identity, trust, conditions and grants."""
    links = []
    stack_record = plan.outputs.get("linkRecord")
    for component in plan.resources:
        # A stack program exports its one link's record (nulls kept); another program's components each
        # registered theirs as outputs (where the engine drops null values: read with .get).
        own = component.outputs.get("linkRecord")
        same = isinstance(stack_record, dict) and (not isinstance(own, dict) or own.get("linkId") == stack_record.get("linkId"))
        record = stack_record if same else own
        if component.type in LINK_COMPONENTS and isinstance(record, dict):
            grants, trust, conditions = part(record["provider"], "review").extract(_descendants(plan, component))
            links.append(
                {
                    "key": f"link:{record['linkId']}",
                    "kind": "account-link",
                    "provider": record["provider"],
                    "id": record["linkId"],
                    "owner": record["owner"],
                    "tier": record["tier"],
                    "enabled": record["enabled"],
                    "expiresAt": record.get("expiresAt"),
                    "expiryEnforcement": record["expiryEnforcement"],
                    "credential": record["authentication"]["method"],
                    "identity": record["identity"],
                    "target": record["target"],
                    "settings": record.get(record["provider"], {}),
                    "trust": _sorted_unique(trust),
                    "conditions": _sorted_unique(conditions),
                    "grants": _sorted_unique(grants),
                    "lint": record["lint"],
                }
            )
    return links


def _service_account_links(plan: StackPlan) -> list[dict[str, Any]]:
    """Each linked service account's entry: its cloud identity's trust and grants."""
    links = []
    workloads = {f"{w['namespace']}-{w['name']}": w for w in plan.outputs.get("serviceAccounts", []) or []}
    for component in plan.resources:
        if component.type == WORKLOAD_COMPONENT and component.name in workloads:
            workload = workloads[component.name]
            provider = workload["cloud"]
            grants, trust, conditions = part(provider, "review").extract(_descendants(plan, component))
            links.append(
                {
                    "key": f"serviceAccount:{workload['namespace']}/{workload['name']}",
                    "kind": "service-account",
                    "provider": provider,
                    "id": f"{workload['namespace']}/{workload['name']}",
                    "owner": workload["owner"],
                    "tier": "custom",
                    "enabled": True,
                    "expiresAt": None,
                    "expiryEnforcement": "no expiry",
                    "credential": f"{provider}-workload-identity",
                    "identity": {"cloudIdentity": workload["identity"]},
                    "target": {},
                    "trust": _sorted_unique(trust),
                    "conditions": _sorted_unique(conditions),
                    "grants": _sorted_unique(grants),
                    "lint": {"warnings": [], "waivers": []},
                }
            )
    return links


def failed_stack(*, stack: str, project: str, file: str, error: str) -> dict[str, Any]:
    return {"stack": stack, "project": project, "file": file, "status": "failed", "error": error,
            "warnings": [], "secureValues": {}, "resources": [], "links": []}


def plan_document(stacks: list[dict[str, Any]], documents: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The plan JSON: deterministic (sorted, no timestamps); secrets only ever as ``[secret]``; each large
    document once, in ``documents`` (see `linking.review.compact`)."""
    return {
        "documents": dict(documents or {}),
        "kind": "linking-plan",
        "schemaVersion": PLAN_SCHEMA_VERSION,
        "secretPlaceholder": SECRET_PLACEHOLDER,
        "stacks": sorted(stacks, key=lambda s: (s["project"], s["stack"], s["file"])),
    }


def plan_document_json(sorted_entries: list[str], documents: Optional[dict[str, str]] = None) -> str:
    """`plan_document` as canonical JSON, from stack entries already in canonical JSON and in order, and the
    documents they refer to (sha256 -> canonical JSON). Thousands of stacks stay strings until written."""
    return "".join(plan_document_parts(sorted_entries, sorted((documents or {}).items())))


def plan_document_parts(sorted_entries: Iterable[str], sorted_documents: Iterable[tuple[str, str]]) -> Iterator[str]:
    """`plan_document_json` in pieces, for a writer that reads each entry and document only when it is written."""
    head = canonical_json(plan_document([]))
    assert head.startswith('{"documents":{}') and head.endswith('"stacks":[]}')  # keys sort: documents first, stacks last
    yield '{"documents":{'
    for index, (digest, text) in enumerate(sorted_documents):
        yield ("," if index else "") + f'"{digest}":' + text
    yield "}" + head[len('{"documents":{}') : -len("]}")]
    for index, entry in enumerate(sorted_entries):
        yield ("," if index else "") + entry
    yield "]}\n"


def relative_file(path: Path, root: Path) -> str:
    """The stack file as the repository names it, so base and head plans agree wherever they were checked out."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()

"""Access review: a stack's plan as normalised grants and trust, and the plan JSON document.

A grant is one (who may do what, where, under which condition) fact, the same
shape for every link of a provider, so two plans diff grant by grant. Trust
entries say who may become the identity. Nothing here calls a cloud: it reads
what the offline plan recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from .canonical import canonical_json
from .config import SECRET_PLACEHOLDER
from .aws_iam import as_list
from .plan import REVIEWED_INPUTS, PlannedResource, StackPlan, parsed_json, plain

PLAN_SCHEMA_VERSION = 1
PLAN_SCHEMA_FILE = "plan.schema.json"
LINK_COMPONENTS = {
    "linking:aws:AccountLink",
    "linking:azure:SubscriptionLink",
    "linking:gcp:ProjectLink",
    "linking:kubernetes:ClusterLink",
}
WORKLOAD_COMPONENT = "linking:workload:LinkedServiceAccount"


# --- AWS -----------------------------------------------------------------------------------------------


def aws_statement_grants(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One grant per (effect, action, resource, condition); NotAction/NotResource marked ``not:``."""
    grants = []
    for statement in as_list(document.get("Statement", [])):
        actions = [(a, "") for a in as_list(statement.get("Action", []))] + [
            (a, "not:") for a in as_list(statement.get("NotAction", []))
        ]
        resources = [(r, "") for r in as_list(statement.get("Resource", []))] + [
            (r, "not:") for r in as_list(statement.get("NotResource", []))
        ]
        condition = statement.get("Condition")
        for action, action_not in actions:
            for resource, resource_not in resources:
                grants.append(
                    {
                        "effect": statement["Effect"],
                        "action": action_not + action,
                        "resource": resource_not + resource,
                        "condition": canonical_json(condition) if condition else None,
                    }
                )
    return grants


Extracted = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]
"""(grants, trust, conditions): conditions on a whole binding (expiry, delegation) are kept apart from the
grants, so moving an expiry reads as one change, not every permission revoked and granted again."""


def _aws(resources: list[PlannedResource]) -> Extracted:
    policies = {r.outputs.get("arn"): r for r in resources if r.type == "aws:iam/policy:Policy"}
    grants: list[dict[str, Any]] = []
    trust: list[dict[str, Any]] = []
    for resource in resources:
        if resource.type == "aws:iam/rolePolicy:RolePolicy":
            grants += aws_statement_grants(parsed_json(plain(resource.inputs["policy"])))
        elif resource.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            arn = resource.inputs["policyArn"]
            if arn in policies:  # a policy of this link: its statements are the grant
                grants += aws_statement_grants(parsed_json(plain(policies[arn].inputs["policy"])))
            else:  # a managed policy defined elsewhere (an AWS managed policy): named, not expanded
                grants.append({"effect": "Allow", "action": f"policy:{arn}", "resource": "*", "condition": None})
        elif resource.type == "aws:iam/role:Role":
            for statement in as_list(parsed_json(plain(resource.inputs["assumeRolePolicy"]))["Statement"]):
                trust.append(
                    {
                        "effect": statement["Effect"],
                        "principal": canonical_json(statement.get("Principal")),
                        "action": ",".join(as_list(statement.get("Action", []))),
                        "condition": canonical_json(statement["Condition"]) if statement.get("Condition") else None,
                    }
                )
    return grants, trust, []


# --- Azure ---------------------------------------------------------------------------------------------


def _azure(resources: list[PlannedResource]) -> Extracted:
    definitions = {r.outputs.get("id"): r for r in resources if r.type == "azure-native:authorization:RoleDefinition"}
    grants: list[dict[str, Any]] = []
    trust: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    kinds = {"actions": "action", "notActions": "notAction", "dataActions": "dataAction", "notDataActions": "notDataAction"}
    for resource in resources:
        inputs = plain(resource.inputs)
        if resource.type == "azure-native:authorization:RoleAssignment":
            definition = definitions.get(inputs["roleDefinitionId"])
            if inputs.get("condition"):
                conditions.append({"on": inputs["roleDefinitionId"], "expression": inputs["condition"]})
            if definition is None:  # a role defined elsewhere (built-in): named, not expanded
                grants.append({"kind": "role", "operation": inputs["roleDefinitionId"], "scope": inputs["scope"]})
                continue
            for permission in definition.inputs.get("permissions", []):
                for key, kind in kinds.items():
                    for operation in permission.get(key, []):
                        grants.append({"kind": kind, "operation": operation, "scope": inputs["scope"]})
        elif resource.type in (
            "azure-native:managedidentity:FederatedIdentityCredential",
            "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
        ):
            trust.append(
                {"kind": "federated-credential", "issuer": inputs["issuer"], "subject": inputs["subject"], "audiences": ",".join(inputs["audiences"])}
            )
        elif resource.type == "azuread:index/applicationPassword:ApplicationPassword":
            trust.append({"kind": "client-secret", "endDate": inputs.get("endDate")})
    return grants, trust, conditions


# --- GCP -----------------------------------------------------------------------------------------------


def _gcp(resources: list[PlannedResource]) -> Extracted:
    roles = {r.outputs.get("name"): r for r in resources if r.type == "gcp:projects/iAMCustomRole:IAMCustomRole"}
    grants: list[dict[str, Any]] = []
    trust: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    for resource in resources:
        inputs = plain(resource.inputs)
        condition = (inputs.get("condition") or {}).get("expression")
        if resource.type == "gcp:projects/iAMMember:IAMMember":
            scope = f"projects/{inputs['project']}"
            role = roles.get(inputs["role"])
            if condition:
                conditions.append({"on": inputs["role"], "expression": condition})
            if role is None:  # a predefined or existing role: named, not expanded
                grants.append({"permission": inputs["role"], "scope": scope})
            else:
                grants += [{"permission": p, "scope": scope} for p in role.inputs["permissions"]]
        elif resource.type == "gcp:serviceaccount/iAMMember:IAMMember":
            trust.append({"kind": "binding", "member": inputs["member"], "role": inputs["role"], "condition": condition})
        elif resource.type == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider":
            trust.append({"kind": "workload-identity-provider", "member": canonical_json(inputs.get("aws") or inputs.get("oidc")),
                          "role": "", "condition": inputs.get("attributeCondition")})
        elif resource.type == "gcp:serviceaccount/key:Key":
            trust.append({"kind": "key", "member": "holder of the key", "role": "", "condition": None})
    return grants, trust, conditions


# --- Kubernetes ----------------------------------------------------------------------------------------


def kubernetes_rule_grants(rules: list[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    """(apiGroup, resource, verb) triples; non-resource URLs as (``url``, path, verb)."""
    grants = []
    for rule in rules:
        for verb in rule.get("verbs", []):
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    grants.append({"apiGroup": group, "resource": resource, "verb": verb, "scope": scope})
            for url in rule.get("nonResourceURLs", []):
                grants.append({"apiGroup": "url", "resource": url, "verb": verb, "scope": scope})
    return grants


def _kubernetes(resources: list[PlannedResource]) -> Extracted:
    cluster_roles = {r.inputs["metadata"]["name"]: r for r in resources if r.type == "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"}
    grants: list[dict[str, Any]] = []
    trust: list[dict[str, Any]] = []
    for resource in resources:
        if resource.type in ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"):
            scope = resource.inputs["metadata"].get("namespace", "cluster")
            role = cluster_roles.get(resource.inputs["roleRef"]["name"])
            if role is not None:
                grants += kubernetes_rule_grants(role.inputs["rules"], scope)
            for subject in resource.inputs.get("subjects", []):
                trust.append({"kind": subject["kind"], "name": subject["name"], "namespace": subject.get("namespace", ""), "scope": scope})
        elif resource.type == "kubernetes:core/v1:Secret" and resource.inputs.get("type") == "kubernetes.io/service-account-token":
            trust.append({"kind": "token", "name": resource.inputs["metadata"]["name"], "namespace": resource.inputs["metadata"].get("namespace", ""), "scope": ""})
    return grants, trust, []


EXTRACTORS: dict[str, Callable[[list[PlannedResource]], Extracted]] = {
    "aws": _aws,
    "azure": _azure,
    "gcp": _gcp,
    "kubernetes": _kubernetes,
}
"""Per provider: the resources of one link -> (grants, trust, conditions)."""


def _sorted_unique(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """De-duplicated, in a stable order (entries hold only strings, booleans and None)."""
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
    return {k: parsed_json(plain(resource.inputs[k])) for k in REVIEWED_INPUTS.get(resource.type, ()) if k in resource.inputs}


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
    links = []
    record = plan.outputs.get("linkRecord")
    for component in plan.resources:
        if component.type in LINK_COMPONENTS and isinstance(record, dict):
            grants, trust, conditions = EXTRACTORS[record["provider"]](_descendants(plan, component))
            links.append(
                {
                    "key": f"link:{record['linkId']}",
                    "kind": "account-link",
                    "provider": record["provider"],
                    "id": record["linkId"],
                    "owner": record["owner"],
                    "tier": record["tier"],
                    "enabled": record["enabled"],
                    "expiresAt": record["expiresAt"],
                    "expiryEnforcement": record["expiryEnforcement"],
                    "credential": record["authentication"]["method"],
                    "identity": record["identity"],
                    "target": record["target"],
                    "trust": _sorted_unique(trust),
                    "conditions": _sorted_unique(conditions),
                    "grants": _sorted_unique(grants),
                    "lint": record["lint"],
                }
            )
    workloads = {f"{w['namespace']}-{w['name']}": w for w in plan.outputs.get("serviceAccounts", []) or []}
    for component in plan.resources:
        if component.type == WORKLOAD_COMPONENT and component.name in workloads:
            workload = workloads[component.name]
            provider = workload["cloud"]
            grants, trust, conditions = EXTRACTORS[provider](_descendants(plan, component))
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


def failed_stack(*, stack: str, project: str, file: str, error: str) -> dict[str, Any]:
    return {"stack": stack, "project": project, "file": file, "status": "failed", "error": error,
            "warnings": [], "secureValues": {}, "resources": [], "links": []}


def plan_document(stacks: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan JSON: deterministic (sorted, no timestamps); secrets only ever as ``[secret]``."""
    return {
        "kind": "linking-plan",
        "schemaVersion": PLAN_SCHEMA_VERSION,
        "secretPlaceholder": SECRET_PLACEHOLDER,
        "stacks": sorted(stacks, key=lambda s: (s["project"], s["stack"], s["file"])),
    }


def plan_document_json(sorted_entries: list[str]) -> str:
    """`plan_document` as canonical JSON, from stack entries already in canonical JSON and in order.

    Hundreds of stacks stay strings (a tenth of their size as objects) until written.
    """
    head = canonical_json(plan_document([]))
    assert head.endswith('"stacks":[]}')  # keys sort so that stacks comes last
    return head[: -len("]}")] + ",".join(sorted_entries) + "]}\n"


def relative_file(path: Path, root: Path) -> str:
    """The stack file as the repository names it, so base and head plans agree wherever they were checked out."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def grant_text(provider: str, grant: dict[str, Any]) -> str:
    """One line a reviewer reads."""
    if provider == "aws":
        text = f"{grant['effect']} {grant['action']} on {grant['resource']}"
    elif provider == "azure":
        text = f"{grant['kind']} {grant['operation']} at {grant['scope']}"
    elif provider == "gcp":
        text = f"{grant['permission']} on {grant['scope']}"
    else:
        group = grant["apiGroup"] or "core"
        text = f"{grant['verb']} {group}/{grant['resource']} in {grant['scope']}"
    condition: Optional[str] = grant.get("condition")
    return text + (f" if {condition}" if condition else "")


def trust_text(entry: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(entry.items()) if v not in (None, ""))

"""AWS roles in the review: statements as grants, trust statements as who may assume the role."""

from __future__ import annotations

import fnmatch
import functools
import re
from typing import TYPE_CHECKING, Any, Optional

from .. import wording
from ..canonical import as_list, canonical_json
from ..planned import PlannedResource, parsed_json, plain

if TYPE_CHECKING:
    from ..review.per_provider import Extracted

REVIEWED_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:iam/role:Role": ("assumeRolePolicy", "inlinePolicies", "managedPolicyArns"),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn",),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("policyArn",),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("policyArn",),
    "aws:iam/policyAttachment:PolicyAttachment": ("policyArn",),
}
"""Inputs that say who gets which access: printed in full for review."""
_IAM_WRITE = re.compile(
    r"^iam:(Create|Put|Attach|Detach|Update|Delete|Pass|Add|Remove|Set|Upload|Change|Enable|Reset)", re.IGNORECASE
)


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
        condition = canonical_json(statement["Condition"]) if statement.get("Condition") else None
        for action, action_not in actions:
            for resource, resource_not in resources:
                grants.append(
                    {"effect": statement["Effect"], "action": action_not + action, "resource": resource_not + resource, "condition": condition}
                )
    return grants




_INLINE_POLICIES = {"aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"}
_ATTACHMENTS = {"aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment"}


def extract(resources: list[PlannedResource]) -> "Extracted":
    """The resources of one link or workload -> (grants, trust, conditions)."""
    policies = {r.outputs.get("arn"): r for r in resources if r.type == "aws:iam/policy:Policy"}
    grants: list[dict[str, Any]] = []
    trust: list[dict[str, Any]] = []
    def attached(arn: Any) -> list[dict[str, Any]]:
        if arn in policies:  # a policy of this link or program: its statements are the grant
            return aws_statement_grants(parsed_json(plain(policies[arn].inputs["policy"])))
        return managed_policy_grants(arn)

    for resource in resources:
        if resource.type in _INLINE_POLICIES:
            grants += aws_statement_grants(parsed_json(plain(resource.inputs["policy"])))
        elif resource.type in _ATTACHMENTS:
            grants += attached(resource.inputs["policyArn"])
        if resource.type == "aws:iam/role:Role":
            for inline in plain(resource.inputs.get("inlinePolicies")) or []:
                grants += aws_statement_grants(parsed_json(plain((inline or {}).get("policy"))) or {})
            for arn in plain(resource.inputs.get("managedPolicyArns")) or []:
                grants += attached(arn)
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


def managed_policy_grants(arn: str) -> list[dict[str, Any]]:
    """An AWS managed policy's statements as grants, each marked with the policy it comes from (shipped
    snapshot); a policy outside the snapshot (or a customer policy of another stack) stays one named grant."""
    from .catalogue import aws_managed_policies

    name = arn.rsplit("/", 1)[-1]
    policy = aws_managed_policies().get(name) if ":iam::aws:policy/" in arn else None
    if policy is None:
        return [{"effect": "Allow", "action": f"policy:{arn}", "resource": "*", "condition": None}]
    return [{**grant, "via": name} for grant in aws_statement_grants(policy["document"])]


def grant_text(grant: dict[str, Any]) -> str:
    via = f" (via {grant['via']})" if grant.get("via") else ""
    return f"{grant['effect']} {grant['action']} on {grant['resource']}{via}"


def grant_group(grant: dict[str, Any]) -> str:
    return f"{grant['effect']} {grant['action'].split(':')[0]}"


def grant_risks(grant: dict[str, Any]) -> list[str]:
    """Why a newly granted entry needs a second reviewer (empty when it does not)."""
    risks = []
    if "*" in grant["action"].split(":")[-1] or grant["action"] in ("*", "not:*"):
        risks.append(f"new wildcard: {grant['action']}")
    if grant["effect"] == "Allow" and _IAM_WRITE.match(grant["action"].removeprefix("not:")):
        risks.append(f"new IAM write: {grant['action']}")
    if grant["action"].startswith("policy:"):
        risks.append(f"managed policy outside linking's snapshot, its contents unreviewed: {grant['action'].removeprefix('policy:')}")
    if grant.get("via"):
        from .catalogue import aws_managed_policies

        classes = (aws_managed_policies().get(grant["via"]) or {}).get("classes", [])
        if classes:
            risks.append(f"managed policy {grant['via']}: {', '.join(c.replace('_', ' ') for c in classes)} (iam-dataset)")
    return risks


def revision_risks(added: list[dict[str, Any]], removed: list[dict[str, Any]]) -> list[str]:
    """Widening that shows only as a pair, one grant removed and one added: a Deny dropped, a condition removed
    or changed on the same action and resource, a resource widened to a pattern that covers the old one."""
    risks = [f"deny removed: {grant_text(g)}" for g in removed if g["effect"] == "Deny"]
    allowed_before = [g for g in removed if g["effect"] == "Allow"]
    for grant in (g for g in added if g["effect"] == "Allow"):
        for before in allowed_before:
            if before["action"].lower() != grant["action"].lower():
                continue
            if before["resource"] == grant["resource"] and before["condition"] != grant["condition"]:
                what = "removed" if grant["condition"] is None else "changed"
                risks.append(f"condition {what} on {grant['action']} {grant['resource']}: {before['condition']} -> {grant['condition']}")
            elif before["resource"] != grant["resource"] and _covers(grant["resource"], before["resource"]):
                risks.append(f"resource widened for {grant['action']}: {before['resource']} -> {grant['resource']}")
    return risks


def _covers(pattern: str, resource: str) -> bool:
    """Whether an IAM resource pattern (``*`` and ``?`` wildcards) matches every ARN the other one does."""
    if pattern.startswith("not:") or resource.startswith("not:"):
        return False
    return fnmatch.fnmatchcase(resource, pattern)


def effective_risks(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> list[str]:
    """What the head allows that the base did not, action by action: every action pattern (wildcards,
    ``NotAction``) expanded over AWS's catalogue, minus what an unconditional Deny of the same document covers.
    A rename that allows the same (``s3:Get*`` for the actions it matched) is no change; a wildcard that now
    matches more, or a Deny gone, is."""
    before, after = _effective(base), _effective(head)
    widened: dict[tuple[str, Optional[str]], list[str]] = {}
    for action, resource, condition in sorted(after - before, key=lambda grant: (grant[0], grant[1], grant[2] or "")):
        if not any(
            a == action and _covers(r, resource) and c in (None, condition) for a, r, c in before
        ):
            widened.setdefault((resource, condition), []).append(action)
    risks = []
    for (resource, condition), actions in sorted(widened.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        shown = ", ".join(actions[:5]) + (f" and {len(actions) - 5} more" if len(actions) > 5 else "")
        count = f"{len(actions)} action{'' if len(actions) == 1 else 's'}"
        risks.append(f"effective access widened on {resource}{' if ' + wording.condition(condition) if condition else ''}: {count} ({shown})")
    return risks


def _effective(grants: list[dict[str, Any]]) -> set[tuple[str, str, Optional[str]]]:
    """(action, resource, condition) for every concrete action an Allow grants and no unconditional Deny takes back."""
    catalogue = _aws_catalogue()
    every = set(catalogue.entries)

    def actions(pattern: str) -> set[str]:
        if pattern.startswith("not:"):
            return every - set(catalogue.matches(pattern.removeprefix("not:")))
        return set(catalogue.matches(pattern)) or {pattern.lower()}  # an unknown action still counts as itself

    denied = [(actions(g["action"]), g["resource"]) for g in grants if g["effect"] == "Deny" and g["condition"] is None]
    allowed = set()
    for grant in (g for g in grants if g["effect"] == "Allow"):
        for action in actions(grant["action"]):
            if not any(action in deny_actions and _covers(deny_resource, grant["resource"]) for deny_actions, deny_resource in denied):
                allowed.add((action, grant["resource"], grant["condition"]))
    return allowed


@functools.cache
def _aws_catalogue() -> Any:
    from .catalogue import shipped_catalogues

    return shipped_catalogues()["aws"]


def fleet_risks(entry: dict[str, Any], fleet: list[dict[str, Any]]) -> list[str]:
    """A link whose id is another's of the same account followed by ``-`` (``acme-prod-eu`` and ``acme-prod``)
    shares its names: everything the longer one creates is named ``acme-prod-...``, which the shorter one's fence
    takes for its own. Risky on each changed link of such a pair (``fleet``: every AWS link of the head)."""
    account = (entry.get("target") or {}).get("accountId")
    if not account:
        return []
    mine = entry.get("id", "")
    others = {link.get("id", "") for link in fleet if (link.get("target") or {}).get("accountId") == account} - {mine}
    risks = []
    for other in sorted(others):
        if other.startswith(mine + "-") or mine.startswith(other + "-"):
            shorter, longer = sorted((mine, other), key=len)
            risks.append(f"names shared: links {shorter} and {longer} in account {account}: the names "
                         f"{longer} creates ({longer}-...) are in {shorter}'s namespace ({shorter}-*)")
    return risks

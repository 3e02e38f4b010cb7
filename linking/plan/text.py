"""The plan as text: the resource tree, each trust and permission document (summarised, or in full with
``--detail``), the warnings and the outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from .. import wording
from ..review.per_provider import reviewed_inputs
from ..planned import PlannedResource, Secret, StackPlan, display, parsed_json, plain


def format_text(plan: StackPlan, source: Optional[Path] = None, *, detail: bool = False) -> str:
    """The human-readable plan: resource tree, then each policy document (a line a statement, or with ``detail``
    in full), then outputs."""
    lines = [f"Stack {plan.stack}" + (f" ({source})" if source else "")]
    lines.append(
        "Offline plan: Pulumi mock runtime, no credentials; the guard against the wrong account or project "
        "runs only in `pulumi up`."
    )
    lines.append("")
    lines.append(f"Resources to create ({len(plan.resources)}):")
    children: dict[Optional[str], list[PlannedResource]] = {}
    for resource in plan.resources:
        children.setdefault(resource.parent_urn if plan.parent_of(resource) else None, []).append(resource)

    def tree(parent: Optional[str], depth: int) -> None:
        for resource in children.get(parent, []):
            lines.append(f"  {'  ' * depth}+ {resource.type}  {resource.name}")
            tree(resource.urn, depth + 1)

    tree(None, 0)
    for resource in plan.resources:
        reviewed = {k: resource.inputs[k] for k in reviewed_inputs().get(resource.type, ()) if k in resource.inputs}
        if not reviewed:
            continue
        label = f"{resource.type} {resource.name}"
        if any(isinstance(v, Secret) for v in reviewed.values()):
            label += " (a Pulumi secret: it carries a secret value, which the plan shows as [secret])"
        lines += ["", label + ":"]
        shown = {k: parsed_json(plain(v)) for k, v in reviewed.items()}
        if detail:
            lines.append(json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False))
        else:
            lines += [f"  {key}: {line}" if index == 0 else f"    {line}"
                      for key, value in sorted(shown.items()) for index, line in enumerate(summarised(value, key))]
    if not detail:
        lines += ["", "Every document and output in full: linking plan --detail"]
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"  ! {message}" for message in plan.warnings]
    lines += ["", "Outputs:"]
    for name, value in plan.outputs.items():
        if isinstance(value, Secret):
            lines.append(f"  {name}: [secret]")
        elif detail:
            lines.append(f"  {name}: " + json.dumps(display(value), indent=2, sort_keys=True).replace("\n", "\n  "))
        else:
            lines.append(f"  {name}: {_short(display(value))}")
    return "\n".join(lines) + "\n"


def summarised(value: Any, key: str = "") -> list[str]:
    """A document as lines a reviewer scans: an IAM policy a line a statement, a role by what it counts."""
    if isinstance(value, list) and len(value) > 5 and all(isinstance(item, str) for item in value):
        return [_count(value, key.removesuffix("s") or "item")]
    if isinstance(value, dict) and isinstance(value.get("Statement"), list):
        return [_statement(index, statement) for index, statement in enumerate(value["Statement"]) if isinstance(statement, dict)]
    if isinstance(value, dict) and "includedPermissions" in value:
        return [_count(value["includedPermissions"], "permission")]
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        if all("verbs" in item for item in value):
            return [f"{', '.join(item.get('verbs', []))} on {', '.join(item.get('resources', []) or item.get('nonResourceURLs', []))}"
                    f" ({', '.join(group or 'core' for group in item.get('apiGroups', ['']))})" for item in value]
        if all("actions" in item for item in value):  # an Azure role definition's permissions
            return [", ".join(f"{_count(item.get(key) or [], key)}" for key in ("actions", "notActions", "dataActions", "notDataActions"))
                    for item in value]
    return [_short(value)]


def _statement(index: int, statement: dict[str, Any]) -> str:
    actions = statement.get("Action") or statement.get("NotAction") or []
    actions = actions if isinstance(actions, list) else [actions]
    resources = statement.get("Resource") or statement.get("NotResource") or []
    resources = resources if isinstance(resources, list) else [resources]
    name = statement.get("Sid") or f"Statement[{index}]"
    who = f" {wording.principal(statement['Principal'])}" if statement.get("Principal") else ""
    services = len({a.split(":")[0] for a in actions})
    what = ", ".join(actions) if len(actions) <= 3 else f"{len(actions)} actions of {services} service{'' if services == 1 else 's'}"
    where = ", ".join(resources) if len(resources) <= 2 else f"{len(resources)} resources"
    when = f" if {wording.condition(statement['Condition'])}" if statement.get("Condition") else ""
    negated = " every action but" if "NotAction" in statement else ""
    return f"{name}: {statement.get('Effect', '')}{who}{negated} {what}" + (f" on {where}" if where else "") + when


def _count(items: list[Any], noun: str) -> str:
    services = sorted({str(item).split(".")[0].split("/")[0].split(":")[0] for item in items})
    shown = ", ".join(services[:6]) + (f" and {len(services) - 6} more" if len(services) > 6 else "")
    return f"{len(items):,} {noun}{'' if noun.endswith('s') or len(items) == 1 else 's'}" + (f" ({shown})" if items else "")


def _short(value: Any, width: int = 160) -> str:
    text = wording.value(value)
    return text if len(text) <= width else text[: width - 3] + "..."

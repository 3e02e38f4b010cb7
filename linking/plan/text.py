"""The plan as text: the resource tree, every trust and permission document in full, the outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from ..review.per_provider import reviewed_inputs
from ..planned import PlannedResource, Secret, StackPlan, display, parsed_json, plain


def format_text(plan: StackPlan, source: Optional[Path] = None) -> str:
    """The human-readable plan: resource tree, then every policy document in full, then outputs."""
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
        lines.append(json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False))
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"  ! {message}" for message in plan.warnings]
    lines += ["", "Outputs:"]
    for name, value in plan.outputs.items():
        if isinstance(value, Secret):
            lines.append(f"  {name}: [secret]")
        else:
            lines.append(f"  {name}: " + json.dumps(display(value), indent=2, sort_keys=True).replace("\n", "\n  "))
    return "\n".join(lines) + "\n"

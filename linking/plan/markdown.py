"""The plan as markdown, for a pull-request comment: resources, then each link's trust and grants."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .. import wording
from ..review.markdown import code, plain
from ..review.per_provider import grant_group, grant_text


def format_markdown(stack: dict[str, Any], *, detail: bool = False) -> str:
    """One stack's plan entry as a pull-request comment section: grants counted by service or API group, or
    with ``detail`` each on a line."""

    lines = [f"## Stack {code(stack['stack'])} ({plain(stack['file'])})", ""]
    lines += [f"> warning: {plain(w)}" for w in stack["warnings"]]
    lines += ["| resource | name | parent |", "|---|---|---|"]
    lines += [f"| {code(r['type'])} | {code(r['name'])} | {plain(r['parent'] or '')} |" for r in stack["resources"]]
    for link in stack["links"]:
        lines += ["", f"### {plain(link['key'])} ({link['provider']}, tier {link['tier']}, owner {plain(link['owner'])})", ""]
        lines += [f"- credential: {link['credential']}; enabled: {wording.value(link['enabled'])}; expires: {link['expiresAt'] or 'never'} ({plain(link['expiryEnforcement'])})"]
        lines += [f"- trust: {code(wording.trust(t))}" for t in link["trust"]]
        lines += [f"- condition: {code(c['expression'])}" for c in link["conditions"]]
        lines += ["", f"<details><summary>{len(link['grants'])} grants</summary>", ""]
        if detail:
            lines += [f"- {code(grant_text(link['provider'], g))}" for g in link["grants"]]
        else:
            groups = Counter(grant_group(link["provider"], g) for g in link["grants"])
            lines += ["| grants of | count |", "|---|---:|", *[f"| {code(group)} | {count:,} |" for group, count in sorted(groups.items())]]
            lines += ["", "Each grant: `linking plan --format markdown --detail`."]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n\n"

"""How a diff of two plans reads: one summary line, a text report, and the pull-request comment (markdown)."""

from __future__ import annotations

import functools
from typing import Any, Mapping

from ..canonical import canonical_json
from ..providers import PROVIDERS, cloud, load_catalogues
from .code import describe
from .markdown import code, plain

MARKER = "<!-- linking-access-review -->"
"""The first line of the comment, by which the workflow finds and updates its own comment."""


def summary(diff: dict[str, Any]) -> str:
    """One line: links changed (risky among them), unchanged, stacks that failed to plan."""
    risky = sum(1 for link in diff["links"] if link["risks"])

    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    return (
        f"{count(len(diff['links']), 'link')} changed ({risky} risky), {count(diff.get('unchanged', 0), 'link')} unchanged, "
        f"{count(len(diff['failedStacks']), 'stack')} failed to plan"
    )


def format_text(diff: dict[str, Any]) -> str:
    code_lines = ([f"risk: {describe(diff['code'])}"] if diff.get("code") else []) + [
        f"risk: new stack warning: {warning}" for warning in diff.get("stackWarnings", [])]
    if not diff["links"] and not diff["failedStacks"]:
        return "\n".join([*code_lines, "No access changes in the plans."]) + "\n" if code_lines else "No access changes.\n"
    lines = [*code_lines, summary(diff)]
    for link in diff["links"]:
        lines.append(f"{link['key']} ({link['provider']}, owner {link['owner']}): {link['status']}")
        lines += [f"  risk: {r}" for r in link["risks"]]
        lines += [f"  {c}" for c in link["changes"]]
        lines += [f"  + {g}" for g in link["granted"]] + [f"  - {g}" for g in link["revoked"]]
        lines += [f"  + trust {t}" for t in link["trustAdded"]] + [f"  - trust {t}" for t in link["trustRemoved"]]
    lines += [f"failed to plan: {f}" for f in diff["failedStacks"]]
    return "\n".join(lines) + "\n"


def format_markdown(diff: dict[str, Any], *, details_limit: int = 200) -> str:
    """A pull-request comment: a summary line and table, then the changes, each set of identical changes once
    with the links it applies to (long lists folded; wildcards with the number of operations they cover)."""
    lines = [MARKER, "## linking access review", ""]
    if diff.get("code"):
        lines += [f"**risky: program changed: review the code.** No access diff can vouch for code: these files decide "
                  "what `pulumi up` and CI run, and the plan of the head ran them.", "",
                  *[f"- {code(change['path'])} ({change['change']})" for change in diff["code"]], ""]
    if diff.get("stackWarnings"):
        lines += ["**risky: the plan could not see everything `pulumi up` will use:**", "",
                  *[f"- {code(warning)}" for warning in diff["stackWarnings"]], ""]
    if not diff["links"] and not diff["failedStacks"]:
        seen_all = not diff.get("code") and not diff.get("stackWarnings")
        return "\n".join(lines + ["No access changes." if seen_all else "No access changes in the plans.", ""])
    lines += [f"**{summary(diff)}**", ""]
    lines += ["| link | target | tier | + grants | - grants | risk |", "|---|---|---|---|---|---|"]
    for link in diff["links"]:
        shown_risks = "; ".join(code(r) for r in link["risks"][:3]) + (
            f"; and {len(link['risks']) - 3} more below" if len(link["risks"]) > 3 else ""
        )
        risk = f"**risky**: {shown_risks}" if link["risks"] else "none"
        lines.append(
            f"| {code(link['key'])} ({link['status']}) | {code(_target(link))} | {link.get('tier', '')} | "
            f"{len(link['granted'])} | {len(link['revoked'])} | {risk} |"
        )
    for failure in diff["failedStacks"]:
        lines.append(f"| {code(failure)} | | | | | **failed to plan** |")
    for links, shown in _groups(diff["links"]):
        first = links[0]
        if len(links) == 1:
            lines += ["", f"### {plain(first['key'])}", "",
                      f"{first['provider']} {plain(_target(first))}, tier {first.get('tier', '')}, owner {plain(first['owner'])}, {first['status']}"]
        else:
            lines += ["", f"### The same change on {len(links)} links", "",
                      ", ".join(code(f"{link['key']} ({_target(link)})") for link in links),
                      "", "(`{id}` and `{target...}` stand for each link's own id and account, subscription or project.)"]
        if first.get("principals"):
            lines += ["", "Who can use it: " + "; ".join(code(p) for p in first["principals"])]
        for title, key in (("Risks", "risks"), ("Changes", "changes"), ("Trust added", "trustAdded"), ("Trust removed", "trustRemoved"),
                           ("Granted", "granted"), ("Revoked", "revoked")):
            items = shown[key]
            if not items:
                continue
            body = [f"- {code(item)}{_wildcard_note(first['provider'], item)}" for item in items[:details_limit]]
            if len(items) > details_limit:
                body.append(f"- ... and {len(items) - details_limit} more (see the plan JSON)")
            if len(items) > 20:
                lines += ["", f"<details><summary>{title} ({len(items)})</summary>", "", *body, "", "</details>"]
            else:
                lines += ["", f"**{title}**", "", *body]
    return "\n".join(lines) + "\n"


_SHOWN = ("risks", "changes", "trustAdded", "trustRemoved", "granted", "revoked")


def _target(link: Mapping[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted((link.get("target") or {}).items()) if value) or "-"


def _groups(links: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], dict[str, list[str]]]]:
    """Links whose changes are the same once each link's own id and target are set aside, grouped (in the order
    of their first link), with the changes as shown: a tier edit on a fleet reads once, not once per link."""
    groups: dict[str, tuple[list[dict[str, Any]], dict[str, list[str]]]] = {}
    for link in links:
        values = {"{id}": link.get("id", "")} | {f"{{target.{k}}}": v for k, v in (link.get("target") or {}).items()}
        values = {token: value for token, value in values.items() if isinstance(value, str) and len(value) >= 3}

        def generic(text: str) -> str:
            for token, value in sorted(values.items(), key=lambda item: -len(item[1])):
                text = text.replace(value, token)
            return text

        shown = {key: [generic(item) for item in link[key]] for key in _SHOWN}
        shape = canonical_json([link["provider"], link["status"], link.get("tier"), link.get("principals"), shown])
        if shape in groups:
            groups[shape][0].append(link)
        else:
            groups[shape] = ([link], shown if values else {key: list(link[key]) for key in _SHOWN})
    for members, shown in groups.values():  # a link alone shows its own values, not tokens
        if len(members) == 1:
            shown.update({key: list(members[0][key]) for key in _SHOWN})
    return list(groups.values())


def _wildcard_note(provider: str, item: str) -> str:
    """`` (covers N actions)`` after a grant whose operation is a wildcard, counted in the catalogue, for the clouds
    whose wildcards are worth counting (their descriptor's ``wildcard_noun``)."""
    noun = cloud(provider).wildcard_noun if provider in PROVIDERS else None
    if noun is None or "*" not in item:
        return ""
    operation = item.split(" ")[1] if len(item.split(" ")) > 1 else ""
    if "*" not in operation:
        return ""
    count = len(_catalogue(provider).matches(operation.removeprefix("not:")))
    return f" (covers {count:,} {noun})"


@functools.cache
def _catalogue(provider: str) -> Any:
    return load_catalogues(None)[provider]

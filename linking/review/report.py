"""How a diff of two plans reads: one summary line, a text report, and the pull-request comment (markdown)."""

from __future__ import annotations

import functools
from typing import Any, Mapping, Optional

from ..canonical import canonical_json
from ..providers import PROVIDERS, cloud, load_catalogues
from .code import describe
from .diff import HEADLINE_RISKS
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


COMMENT_BUDGET = 60_000
"""Characters the pull-request comment may use: GitHub refuses a comment over 65,536, and the workflow adds a
line or two. The summary and every risky link's headline always fit; detail is cut to counts first."""
DETAIL_ARTIFACT = "access-review-detail"
"""The artifact the workflow uploads the whole review in (``linking diff --detail-file``)."""


def ordered(diff: dict[str, Any]) -> list[dict[str, Any]]:
    """Risky links first, the most severe risk first, then the rest; each group by key."""
    return sorted(diff["links"], key=lambda link: (0 if link["risks"] else 1, _rank(link), link["key"]))


def _rank(link: Mapping[str, Any]) -> int:
    return min((_severity_rank(risk) for risk in link["risks"]), default=len(HEADLINE_RISKS))


def _severity_rank(risk: str) -> int:
    return next((index for index, start in enumerate(HEADLINE_RISKS) if risk.startswith(start)), len(HEADLINE_RISKS))


def headline(link: Mapping[str, Any]) -> str:
    """The link's headline in plain words, or what changed when nothing headline-worthy did."""
    words = list(link.get("headline") or [])
    if not words:
        counts = [f"{len(link[key])} {label}" for key, label in (("granted", "granted"), ("revoked", "revoked")) if link[key]]
        words = counts or link["changes"][:2] or ["changed"]
    return "; ".join(words)


def format_text(diff: dict[str, Any]) -> str:
    code_lines = ([f"risk: {describe(diff['code'])}"] if diff.get("code") else []) + [
        f"risk: new stack warning: {warning}" for warning in diff.get("stackWarnings", [])] + [
        f"risk: {risk}" for risk in diff.get("engine", [])]
    if not diff["links"] and not diff["failedStacks"]:
        return "\n".join([*code_lines, "No access changes in the plans."]) + "\n" if code_lines else "No access changes.\n"
    lines = [*code_lines, summary(diff)]
    for link in ordered(diff):
        lines.append(f"{link['key']} ({link['provider']}, owner {link['owner']}): {link['status']}: {headline(link)}")
        lines += [f"  risk: {r}" for r in link["risks"]]
        lines += [f"  {c}" for c in link["changes"]]
        lines += [f"  + {g}" for g in link["granted"]] + [f"  - {g}" for g in link["revoked"]]
        lines += [f"  + trust {t}" for t in link["trustAdded"]] + [f"  - trust {t}" for t in link["trustRemoved"]]
    lines += [f"failed to plan: {f}" for f in diff["failedStacks"]]
    return "\n".join(lines) + "\n"


def format_markdown(diff: dict[str, Any], *, budget: Optional[int] = COMMENT_BUDGET) -> str:
    """The pull-request comment: what changed in the code the plans ran, the summary, a headline per link (risky
    first, by severity), then each link's detail folded. Within ``budget`` characters: detail lists are cut, then
    left as counts, then links without risk are counted instead of listed; the summary and every risky headline
    stay. ``budget=None`` is the whole review (the detail file)."""
    top = _preamble(diff)
    if not diff["links"] and not diff["failedStacks"]:
        seen_all = not diff.get("code") and not diff.get("stackWarnings") and not diff.get("engine")
        return "\n".join(top + ["No access changes." if seen_all else "No access changes in the plans.", ""])
    top += [f"**{summary(diff)}**", ""]
    groups = _groups(ordered(diff))
    for compact in (0, 1, 2):
        for listed in (True, False):
            table = _tables(diff, list_quiet=listed, compact=compact)
            if budget is not None and len("\n".join(top + table)) > budget and (compact, listed) != (2, False):
                continue  # the headlines alone do not fit: more compact first
            for limit in ((None,) if budget is None else (200, 50, 10, 0)) if compact == 0 else (0,):
                details = _details(groups, limit) if compact == 0 else []
                text = "\n".join(top + table + details + _footer(limit, listed, compact)) + "\n"
                if budget is None or len(text) <= budget:
                    return text
    return text  # even grouped, the risky headlines are over the budget: every one of them is still shown


def _preamble(diff: dict[str, Any]) -> list[str]:
    lines = [MARKER, "## linking access review", ""]
    if diff.get("code"):
        changes = diff["code"]
        lines += [f"**risky: program changed: review the code.** No access diff can vouch for code: these files decide "
                  "what `pulumi up` and CI run, and the plan of the head ran them.", "",
                  *[f"- {code(change['path'])} ({change['change']})" for change in changes[:50]],
                  *([f"- and {len(changes) - 50} more files"] if len(changes) > 50 else []), ""]
    if diff.get("stackWarnings"):
        lines += ["**risky: the plan could not see everything `pulumi up` will use:**", "",
                  *[f"- {code(warning)}" for warning in diff["stackWarnings"]], ""]
    if diff.get("engine"):
        lines += ["**risky: the engine replaces or deletes resources that grant access** (from `pulumi preview`):", "",
                  *[f"- {code(risk)}" for risk in diff["engine"]], ""]
    return lines


def _tables(diff: dict[str, Any], *, list_quiet: bool, compact: int = 0) -> list[str]:
    """The headline tables. ``compact`` 1 drops the target and risk columns of the risky table, 2 also gives links
    with the same headline (their own id and target aside) one row."""
    links = ordered(diff)
    risky, quiet = [link for link in links if link["risks"]], [link for link in links if not link["risks"]]
    lines: list[str] = []
    if risky and compact == 0:
        lines += [f"### Risky ({len(risky)})", "", "| link | target | headline | grants | risks |", "|---|---|---|---|---|"]
        lines += [f"| {_name(link)} | {code(_target(link))} | **{plain(headline(link))}** | {_counts(link)} | "
                  f"{'; '.join(code(r) for r in link['risks'][:2])}{_more(link['risks'], 2)} |" for link in risky]
        lines.append("")
    elif risky:
        rows = [([link], headline(link)) for link in risky] if compact == 1 else _same_headlines(risky)
        lines += [f"### Risky ({len(risky)})", "", "| links | headline |", "|---|---|"]
        lines += [f"| {', '.join(code(link['key']) for link in group[:5])}{_more(group, 5).replace(';', ',')} | **{plain(text)}** |"
                  for group, text in rows]
        lines.append("")
    if quiet and list_quiet:
        lines += [f"### Not risky ({len(quiet)})", "", "| link | target | headline | grants |", "|---|---|---|---|"]
        lines += [f"| {_name(link)} | {code(_target(link))} | {plain(headline(link))} | {_counts(link)} |" for link in quiet]
        lines.append("")
    elif quiet:
        lines += [f"### Not risky ({len(quiet)})", "", f"{len(quiet)} links changed without a risk: listed in the "
                  f"`{DETAIL_ARTIFACT}` artifact.", ""]
    if diff["failedStacks"]:
        lines += ["### Failed to plan", "", *[f"- {code(failure)}" for failure in diff["failedStacks"]], ""]
    return lines


def _name(link: Mapping[str, Any]) -> str:
    return f"{code(link['key'])} ({link['provider']}, {link['status']})"


def _counts(link: Mapping[str, Any]) -> str:
    return f"+{len(link['granted']):,} / −{len(link['revoked']):,}"


def _more(items: list[Any], shown: int) -> str:
    return f"; and {len(items) - shown} more" if len(items) > shown else ""


def _details(groups: list[tuple[list[dict[str, Any]], dict[str, list[str]]]], limit: Optional[int]) -> list[str]:
    """Each link's (or each group of identical changes') risks, changes, trust and grants, folded; at most
    ``limit`` items a list (0: the counts only; None: every item)."""
    lines = ["### Details", ""] if groups else []
    for group, shown in groups:
        first = group[0]
        who = first["key"] if len(group) == 1 else f"the same change on {len(group)} links"
        counts = ", ".join(_count(len(shown[key]), noun) for (_, key), noun in zip(_SECTIONS, _NOUNS) if shown[key])
        lines += [f"<details><summary>{plain(who)}: {plain(counts)}</summary>", ""]
        if len(group) > 1:
            lines += [", ".join(code(f"{link['key']} ({_target(link)})") for link in group), "",
                      "(`{id}` and `{target...}` stand for each link's own id and account, subscription or project.)", ""]
        if first.get("principals"):
            lines += ["Who can use it: " + "; ".join(code(p) for p in first["principals"]), ""]
        for title, key in _SECTIONS:
            items = shown[key]
            if not items or limit == 0:
                continue
            lines += [f"**{title}**", "", *[f"- {code(item)}{_wildcard_note(first['provider'], item)}" for item in items[:limit]]]
            if limit is not None and len(items) > limit:
                lines.append(f"- and {len(items) - limit:,} more (the `{DETAIL_ARTIFACT}` artifact has them all)")
            lines.append("")
        lines += ["</details>", ""]
    return lines


def _same_headlines(links: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], str]]:
    """Links whose headline is the same once each link's own id is set aside, one row each group."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for link in links:
        groups.setdefault(headline(link).replace(link.get("id") or "\0", "{id}"), []).append(link)
    return [(group, text if len(group) > 1 else headline(group[0])) for text, group in groups.items()]


def _footer(limit: Optional[int], listed: bool, compact: int = 0) -> list[str]:
    if limit in (None, 200) and listed and compact == 0:
        return []
    return [f"Cut to fit a comment: the whole review is the `{DETAIL_ARTIFACT}` artifact of this run "
            "(`linking diff --detail-file`)."]


_NOUNS = (("risk", "risks"), ("change", "changes"), ("trust added", "trust added"), ("trust removed", "trust removed"),
          ("granted", "granted"), ("revoked", "revoked"))


def _count(number: int, noun: tuple[str, str]) -> str:
    return f"{number:,} {noun[0] if number == 1 else noun[1]}"


_SECTIONS = (("Risks", "risks"), ("Changes", "changes"), ("Trust added", "trustAdded"), ("Trust removed", "trustRemoved"),
             ("Granted", "granted"), ("Revoked", "revoked"))


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
    return f" (covers {_covered(provider, operation.removeprefix('not:')):,} {noun})"


@functools.lru_cache(maxsize=4096)
def _covered(provider: str, pattern: str) -> int:
    """How many of the catalogue's actions a wildcard matches (asked once per pattern)."""
    return len(load_catalogues(None)[provider].matches(pattern))

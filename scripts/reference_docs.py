"""Write the generated reference pages of ``docs/`` from the data they describe:

- ``docs/configuration.md``: every key of ``linking:link`` and ``linking:serviceAccounts``, from the JSON schemas
  the program checks stack files with (``linking/schemas/``): type, whether required, default, allowed values, and
  what is expected;
- ``docs/rules.md``: every lint rule, from ``linking/rules.json`` and ``linking/<cloud>/rules.json``.

``python scripts/reference_docs.py`` rewrites both; ``tests/test_docs.py`` fails when either is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

from linking.lint import RULES
from linking.validation import load_schema

DOCS = Path(__file__).resolve().parent.parent / "docs"


def configuration_markdown() -> str:
    link, accounts = load_schema("link-config.schema.json"), load_schema("service-accounts.schema.json")
    lines = [
        "# Configuration reference",
        "",
        "Generated from `linking/schemas/link-config.schema.json` and `service-accounts.schema.json` by",
        "`python scripts/reference_docs.py`: the schemas every stack file and every spec built in code are checked",
        "against, before anything is registered. A bad value stops the program with one line naming the key path,",
        "the value (masked when secret) and what is expected. Rules that span keys (which trust needs which control",
        "plane identity, the admin tier's resource groups, ...) are each cloud's `settings.py`.",
        "",
        "## `linking:link`",
        "",
        *_table(link, "", link),
        "",
        "## `linking:serviceAccounts[]`",
        "",
        *_table(accounts["items"], "", accounts),
    ]
    return "\n".join(lines) + "\n"


def _table(node: dict[str, Any], prefix: str, root: dict[str, Any]) -> list[str]:
    rows = ["| key | type | required | expected |", "|---|---|---|---|"]
    rows += [f"| `{key}` | {kind} | {required} | {_cell(expected)} |" for key, kind, required, expected in _keys(node, prefix, root)]
    return rows


def _keys(node: dict[str, Any], prefix: str, root: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    node = _resolved(node, root)
    required = set(node.get("required", ()))
    for name, sub in node.get("properties", {}).items():
        sub = _resolved(sub, root)
        key = f"{prefix}{name}"
        kind = _kind(sub, root)
        yield key, kind, "yes" if name in required else "", _expected(sub)
        if sub.get("type") == "object" and "properties" in sub:
            yield from _keys(sub, f"{key}.", root)
        items = _resolved(sub.get("items", {}), root)
        if sub.get("type") == "array" and items.get("type") == "object" and "properties" in items:
            yield from _keys(items, f"{key}[].", root)


def _kind(node: dict[str, Any], root: dict[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{json.dumps(value)}`" for value in node["enum"])
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {_kind(_resolved(node.get('items', {}), root), root)}"
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def _expected(node: dict[str, Any]) -> str:
    text = node.get("x-expected") or node.get("description") or ""
    default = f" (default `{json.dumps(node['default'])}`)" if "default" in node else ""
    return text + default


def _resolved(node: Any, root: dict[str, Any]) -> Any:
    while isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/$defs/"):
        node = {**root["$defs"][node["$ref"][len("#/$defs/"):]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_markdown() -> str:
    lines = [
        "# Lint rules",
        "",
        "Generated from `linking/rules.json` and `linking/<cloud>/rules.json` by `python scripts/reference_docs.py`;",
        "`linking check --explain RULE` prints one. An error stops a link before anything is registered unless the",
        "stack waives it for the grant it names, with a reason; a warning is printed in the plan and kept in the record.",
        "",
        "| rule | severity | what it forbids | why it matters | how to fix | source |",
        "|---|---|---|---|---|---|",
    ]
    for rule_id in sorted(RULES):
        rule = RULES[rule_id]
        source = rule.source
        shown = f"[{source.split('//', 1)[1].split('/', 1)[0]}]({source})" if source.startswith("https://") else _linked(source)
        lines.append("| " + " | ".join(_cell(cell) for cell in (rule.id, rule.severity, rule.title, rule.why, rule.fix)) + f" | {shown} |")
    return "\n".join(lines) + "\n"


def _linked(source: str) -> str:
    """A file of this repository as a link from ``docs/`` (what follows it, in words)."""
    path, _, words = source.partition(" ")
    return f"[{path}](../{path})" + (f" {_cell(words)}" if words else "")


PAGES = {"configuration.md": configuration_markdown, "rules.md": rules_markdown}


def main() -> int:
    for name, render in PAGES.items():
        (DOCS / name).write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

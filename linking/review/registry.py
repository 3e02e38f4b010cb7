"""The registry of links: every link a plan holds with its owner, tier, expiry and days left, whether the cloud
enforces that expiry, when its stack file last changed, and its waivers; for recertification and CI schedules."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from ..contract import parse_instant
from ..providers import PROVIDERS, cloud
from .markdown import code, plain

COLUMNS = ("link", "provider", "target", "tier", "owner", "enabled", "expiresAt", "daysLeft", "expiryEnforced",
           "lastChange", "daysSinceChange", "waivers", "file")


def registry(plan: dict[str, Any], *, now: datetime, root: Path) -> list[dict[str, Any]]:
    """One row per link of the plan document (links of the stacks' own components and linked service accounts;
    access declared outside components has no owner or expiry to register)."""
    changed: dict[str, Optional[datetime]] = {}
    rows = []
    for stack in plan["stacks"]:
        for link in stack.get("links", []):
            if link.get("kind") == "resources":
                continue
            file = stack["file"]
            if file not in changed:
                changed[file] = last_change(root / file)
            rows.append(_row(link, stack, now, changed[file]))
    return sorted(rows, key=lambda row: (row["daysLeft"] if row["daysLeft"] is not None else 10**9, row["link"]))


def _row(link: dict[str, Any], stack: dict[str, Any], now: datetime, changed: Optional[datetime]) -> dict[str, Any]:
    expires = link.get("expiresAt")
    provider = link["provider"]
    enforced = cloud(provider).expiry_enforced if provider in PROVIDERS else False
    return {
        "link": f"{stack['project']}/{stack['stack']}/{link['key']}",
        "provider": provider,
        "target": ", ".join(str(value) for _, value in sorted((link.get("target") or {}).items()) if value) or "-",
        "tier": link["tier"],
        "owner": link["owner"],
        "enabled": link["enabled"],
        "expiresAt": expires,
        "daysLeft": (parse_instant(expires) - now).days if expires else None,
        "expiryEnforced": ("by the cloud" if enforced else "documented only") if expires else None,
        "lastChange": changed.strftime("%Y-%m-%d") if changed else None,
        "daysSinceChange": (now - changed).days if changed else None,
        "waivers": [f"{w.get('rule')} on {w.get('grant')}: {w.get('reason')}" for w in link.get("lint", {}).get("waivers", [])],
        "file": stack["file"],
    }


def last_change(path: Path) -> Optional[datetime]:
    """When git last committed a change to the file (None outside a repository, or for a file never committed)."""
    try:
        done = subprocess.run(["git", "log", "-1", "--format=%cI", "--", path.name], cwd=path.parent,
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return datetime.fromisoformat(text).astimezone(timezone.utc) if done.returncode == 0 and text else None


def sections(rows: list[dict[str, Any]], *, expiring_within: Optional[int], older_than: Optional[int]) -> dict[str, list[dict[str, Any]]]:
    """The rows a schedule acts on: expiring (or expired while enabled) within the window, without an expiry,
    unchanged for longer than the recertification age; then every link."""
    found = {}
    if expiring_within is not None:
        found["expiring"] = [r for r in rows if r["enabled"] and r["daysLeft"] is not None and r["daysLeft"] <= expiring_within]
    found["no expiry"] = [r for r in rows if r["enabled"] and r["expiresAt"] is None]
    if older_than is not None:
        found["not recertified"] = [r for r in rows if r["daysSinceChange"] is not None and r["daysSinceChange"] > older_than]
    found["all"] = rows
    return found


TITLES = {"expiring": "Expiring within {within} days (or expired while enabled)", "no expiry": "Without an expiry",
          "not recertified": "Unchanged for more than {older} days", "all": "Every link"}
SHOWN = ("link", "provider", "target", "tier", "owner", "expiresAt", "daysLeft", "expiryEnforced", "lastChange", "waivers")


def format_report(found: dict[str, list[dict[str, Any]]], output: str, *, within: Optional[int], older: Optional[int]) -> str:
    if output == "json":
        return json.dumps(found, indent=2, sort_keys=True) + "\n"
    if output == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["section", *COLUMNS], lineterminator="\n")
        writer.writeheader()
        for section, rows in found.items():
            for row in rows:
                writer.writerow({"section": section, **row, "waivers": "; ".join(row["waivers"])})
        return out.getvalue()
    lines: list[str] = ["# Links", ""] if output == "markdown" else []
    for section, rows in found.items():
        title = TITLES[section].format(within=within, older=older) + f" ({len(rows)})"
        lines += _markdown(title, rows) if output == "markdown" else _text(title, rows)
    return "\n".join(lines) + "\n"


def _cell(row: dict[str, Any], column: str) -> str:
    value = row[column]
    if column == "waivers":
        return str(len(value)) if value else ""
    return "" if value is None else str(value)


def _text(title: str, rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return [f"{title}: none", ""]
    table = [list(SHOWN)] + [[_cell(row, column) for column in SHOWN] for row in rows]
    widths = [max(len(line[index]) for line in table) for index in range(len(SHOWN))]
    return [title + ":", *("  " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table), ""]


def _markdown(title: str, rows: list[dict[str, Any]]) -> list[str]:
    lines = [f"## {title}", ""]
    if not rows:
        return lines + ["None.", ""]
    lines += ["| " + " | ".join(SHOWN) + " |", "|" + "---|" * len(SHOWN)]
    lines += ["| " + " | ".join(code(_cell(row, c)) if c in ("link", "target") else plain(_cell(row, c)) for c in SHOWN) + " |"
              for row in rows]
    return lines + [""]

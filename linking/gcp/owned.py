"""The GCP admin tiers' name fence: permissions that act on an existing resource of a type whose name an IAM
condition can test are bound only on resources named ``<link id>-*``, one binding per group of ``owned.json``.

The fence fails closed by construction: Google never grants through a part of a condition whose attribute a
resource does not provide (``owned.json``, ``sources.neverGrants``), and each condition is a conjunction of the
group's resource service, a name test and the expiry, so a wrong guess about which resource a permission is
checked on can only deny. Which permissions are fenced is decided from the data, never listed by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Optional

DATA = Path(__file__).with_name("owned.json")
TITLE = "linking-owned-names"
"""The title of every name-fenced binding's condition: how the review tells it from the expiry alone."""
EXPIRY_PREFIX = "request.time < "
"""How every expiry condition begins (`linking.gcp.documents.expiry_condition`): where a fenced condition's expiry
starts."""


@dataclass(frozen=True)
class OwnedGroup:
    """Collections of one resource service whose names carry one of ``segments`` followed by the resource's id."""

    name: str
    service: str
    collections: dict[str, dict[str, str]]
    segments: tuple[str, ...]


@cache
def owned_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


@cache
def groups() -> tuple[OwnedGroup, ...]:
    return tuple(
        OwnedGroup(name, group["service"], group["collections"], tuple(group["segments"]))
        for name, group in sorted(owned_data()["groups"].items())
    )


def group_of(permission: str) -> Optional[OwnedGroup]:
    """The group that fences ``permission``, or None: its type has no name a condition reads, or Google checks its
    verb on the parent."""
    collection, _, verb = permission.rpartition(".")
    if verb in owned_data()["parentVerbs"]["verbs"]:
        return None
    return next((group for group in groups() if collection in group.collections), None)


def enforcement(permission: str) -> str:
    """Whether an IAM condition on the resource's name is enforced for ``permission``, and why (from the data)."""
    group = group_of(permission)
    if group is not None:
        row = group.collections[permission.rpartition(".")[0]]
        return f"fenced by name: {row['type']} ({row['row']}: {row['template']})"
    data = owned_data()
    if permission.rpartition(".")[2] in data["parentVerbs"]["verbs"]:
        return f"not fenced: {data['parentVerbs']['why']}"
    return "not fenced: Google lists no resource name a condition can test for its resource type"


def split(permissions: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """(bound whole, {group: bound on the link's names only}), each sorted."""
    whole: list[str] = []
    fenced: dict[str, list[str]] = {}
    for permission in sorted(permissions):
        group = group_of(permission)
        if group is None:
            whole.append(permission)
        else:
            fenced.setdefault(group.name, []).append(permission)
    return whole, fenced


def name_condition(group_name: str, link_id: str, expiry: Optional[str] = None) -> dict[str, str]:
    """The group's condition: its resource service, a name of the link's, and the expiry (``request.time < ...``)."""
    group = next(group for group in groups() if group.name == group_name)
    names = " || ".join(f'resource.name.extract("{segment}{{name}}").startsWith("{link_id}-")' for segment in group.segments)
    expression = f'resource.service == "{group.service}" && ({names})' + (f" && {expiry}" if expiry else "")
    return {
        "title": TITLE,
        "description": f"Only {group.name} resources named {link_id}-* (linking's name fence)",
        "expression": expression,
    }


def group_title(title: str, group: str) -> str:
    """A group's role title: the tier's, so the policy pack knows the tier (`tier_title`), and the group."""
    return f"{title} ({group}, own names)"


def tier_title(title: object) -> object:
    """The tier's title within a group role's title (any other title unchanged)."""
    if isinstance(title, str) and title.endswith(", own names)"):
        return title.rpartition(" (")[0]
    return title


def parts(condition: Optional[dict[str, Any]]) -> tuple[Optional[str], Optional[str]]:
    """(name fence, expiry) of a binding's condition: a condition not titled as the fence is all expiry."""
    expression = (condition or {}).get("expression") or None
    if expression is None or (condition or {}).get("title") != TITLE:
        return None, expression
    fence, found, expiry = expression.partition(f" && {EXPIRY_PREFIX}")
    return fence, (EXPIRY_PREFIX + expiry) if found else None


def logical_operators(expression: str) -> int:
    return expression.count("&&") + expression.count("||")

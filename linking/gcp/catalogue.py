"""GCP's permission catalogues: the predefined roles, custom-role support and Rhino's escalation methods
(shipped snapshots, ``PROVENANCE.json``)."""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any, Optional

from ..catalogue import Catalogue, shipped


def catalogues(folder: Optional[Path]) -> dict[str, Catalogue]:
    """``gcp`` (every permission) and ``gcp-owner`` (roles/owner's), from ``folder/gcp`` or the shipped roles."""
    if folder is not None and (folder / "gcp" / "permissions.txt").is_file():
        roles = json.loads((folder / "gcp" / "predefined-roles.json").read_text(encoding="utf-8"))
        return {"gcp": Catalogue.from_file(folder / "gcp" / "permissions.txt", case_sensitive=True),
                "gcp-owner": Catalogue(roles["roles/owner"]["includedPermissions"], case_sensitive=True)}
    roles = gcp_predefined_roles()
    return {"gcp": Catalogue((p for role in roles.values() for p in role["permissions"]), case_sensitive=True),
            "gcp-owner": Catalogue(roles["roles/owner"]["permissions"], case_sensitive=True)}


@cache
def shipped_catalogues() -> dict[str, Catalogue]:
    """`catalogues` from the shipped snapshots, read once per process."""
    return catalogues(None)


@cache
def gcp_predefined_roles() -> dict[str, dict[str, Any]]:
    """``roles/x`` -> ``{"stage": ..., "permissions": [...]}`` for every GCP predefined role (shipped snapshot)."""
    roles = shipped("gcp-roles.json.gz")
    for role in roles.values():  # a permission is in many roles: one string each (about a third of the memory)
        role["permissions"] = [sys.intern(p) for p in role["permissions"]]
    return roles


@cache
def gcp_custom_role_support() -> dict[str, str]:
    """Permission -> customRolesSupportLevel, for every permission testable on a project (absent: not usable in a
    project-level custom role)."""
    return shipped("gcp-custom-role-support.json.gz")["permissions"]


@cache
def gcp_escalation_methods() -> dict[str, list[str]]:
    """Rhino Security Labs' GCP privilege-escalation methods: each a set of permissions that together escalate."""
    return shipped("gcp-escalation-methods.json.gz")["methods"]



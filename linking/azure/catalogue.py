"""Azure's permission catalogues: its operations (control and data plane) and built-in roles (shipped snapshots,
``PROVENANCE.json``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Optional

from ..catalogue import Catalogue, shipped


def catalogues(folder: Optional[Path]) -> dict[str, Catalogue]:
    """``azure`` (control-plane operations) and ``azure-data`` (data actions), from ``folder/azure`` or the snapshot."""
    if folder is not None and (folder / "azure" / "actions.txt").is_file():
        return {"azure": Catalogue.from_file(folder / "azure" / "actions.txt", case_sensitive=False),
                "azure-data": Catalogue.from_file(folder / "azure" / "data-actions.txt", case_sensitive=False)}
    operations = shipped("azure-operations.json.gz")
    return {"azure": Catalogue(operations["control"], case_sensitive=False),
            "azure-data": Catalogue(operations["data"], case_sensitive=False)}


@cache
def shipped_catalogues() -> dict[str, Catalogue]:
    """`catalogues` from the shipped snapshots, read once per process."""
    return catalogues(None)


@cache
def azure_built_in_roles() -> dict[str, dict[str, Any]]:
    """Role definition GUID -> ``{"roleName": ..., "permissions": [{actions, notActions, dataActions, notDataActions}]}``."""
    return shipped("azure-roles.json.gz")



"""``linking check`` for GCP custom roles: catalogue, privilege ratio, lint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalogue import Catalogue
from ..policy import RenderedDocument, kept_by_ledger
from .documents import render_role
from .lint import lint_gcp


def render_sample(path: Path) -> RenderedDocument:
    """The document as a link would render it, with sample names in its placeholders."""
    return render_role(path, "example", "example-project", str(path))


def fill(check: Any, document: dict[str, Any], catalogues: dict[str, Catalogue]) -> None:
    permissions = document["includedPermissions"]
    check.entries = len(permissions)
    check.findings = lint_gcp(permissions, check.path, tier=check.tier, custom_role=True, kept=kept_by_ledger(Path(check.path)))
    catalogue, owner = catalogues["gcp"], catalogues["gcp-owner"]
    check.unknown = catalogue.unknown(permissions)
    check.allowed = len(owner.matching_all(permissions))
    check.universe, check.universe_name = len(owner.entries), "permissions of roles/owner"

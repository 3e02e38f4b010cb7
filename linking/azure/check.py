"""``linking check`` for Azure role definitions: catalogue, privilege ratio, lint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalogue import Catalogue
from ..policy import RenderedDocument, kept_by_ledger
from .documents import OPERATION_LISTS, render_role_definition
from .lint import lint_azure


SAMPLE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def render_sample(path: Path) -> RenderedDocument:
    """The document as a link would render it, with sample names in its placeholders."""
    return render_role_definition(path, "example", SAMPLE_SUBSCRIPTION, str(path))


def fill(check: Any, document: dict[str, Any], catalogues: dict[str, Catalogue]) -> None:
    check.entries = sum(len(document[k]) for k in OPERATION_LISTS)
    check.findings = lint_azure(document, check.path, tier=check.tier, assignment_condition="(set by the link)",
                                kept=kept_by_ledger(Path(check.path)))
    control, data = catalogues["azure"], catalogues["azure-data"]
    check.unknown = control.unknown(document["Actions"] + document["NotActions"]) + data.unknown(
        document["DataActions"] + document["NotDataActions"]
    )
    allowed = (control.matching_all(document["Actions"]) - control.matching_all(document["NotActions"])) | (
        data.matching_all(document["DataActions"]) - data.matching_all(document["NotDataActions"])
    )
    check.allowed = len(allowed)
    check.universe, check.universe_name = len(control.entries) + len(data.entries), "Azure operations"

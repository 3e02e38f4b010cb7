"""The error that names the extra to install when a cloud's SDK is missing, and lazy component exports.

The SDKs are hundreds of MB, so each provider is an extra of the distribution
(``cloud-linking[aws]``, ...) and nothing imports an SDK that its provider does not need.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, Callable, Iterable

import pulumi

DISTRIBUTION = "cloud-linking"
"""The name on PyPI (the import package is ``linking``; PyPI's ``linking`` is an unrelated project); each cloud's
extra installs its descriptor's ``sdk_modules``."""


def install_hint(extra: str) -> str:
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: blocked with sys.modules[module] = None
        return False


def missing_modules(modules: Iterable[str]) -> list[str]:
    return [module for module in modules if not _importable(module)]


class MissingExtraError(ModuleNotFoundError, pulumi.RunError):
    """A provider's SDK is not installed. A ``RunError`` too, so Pulumi prints the message without a traceback."""

    def __init__(self, extra: str, missing: list[str]) -> None:
        super().__init__(f"linking.{extra} needs the {extra} extra: {install_hint(extra)} (missing {', '.join(missing)})")
        self.name = missing[0]


def require_extra(extra: str, modules: Iterable[str]) -> None:
    """Raise `MissingExtraError` unless every module of ``extra`` is importable; called before the SDK is imported."""
    missing = missing_modules(modules)
    if missing:
        raise MissingExtraError(extra, missing)


def lazy_exports(package: str, names: Iterable[str]) -> Callable[[str], Any]:
    """A package ``__getattr__`` that imports ``<package>.component`` (and so its SDK) on first use of ``names``.

    ``import linking.aws`` then costs no SDK import, and the SDK-free document rules
    stay usable without the extra; ``from linking.aws import AwsAccountLink`` works as before.
    """
    exported = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name in exported:
            return getattr(importlib.import_module(f"{package}.component"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__

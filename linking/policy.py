"""Policy documents: find the shipped tiers, load a file, fill ``{{Placeholders}}``."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import LinkConfigError

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z]+)\s*\}\}")


@cache
def policy_docs_root() -> Path:
    """``policy_docs/``: inside the installed wheel, or at the top of a source checkout."""
    packaged = resources.files("linking").joinpath("policy_docs")
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / "policy_docs"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("policy_docs/ is missing from this installation of linking")


def builtin_document_path(provider: str, name: str) -> Path:
    """``policy_docs/<provider>/<name>.json|yaml``."""
    folder = policy_docs_root() / provider
    for suffix in (".json", ".yaml"):
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no policy document {provider}/{name} in {folder}")


def load_document(path: Path, key_path: str) -> Any:
    """Parse a JSON or YAML document; a parse error names the file, line and key path."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LinkConfigError(key_path, str(path), f"a readable file ({exc.strerror})") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise LinkConfigError(key_path, str(path), f"valid JSON (line {exc.lineno}: {exc.msg})") from None
    except yaml.YAMLError as exc:
        raise LinkConfigError(key_path, str(path), f"valid YAML ({exc})") from None


def fill_placeholders(document: Any, values: Mapping[str, str], key_path: str) -> Any:
    """Replace ``{{Name}}`` in every string; an unknown name is an error.

    ``${...}`` is left alone: it is IAM's own policy-variable syntax.
    """

    def fill(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise LinkConfigError(
                    key_path, match.group(0), "one of the placeholders " + ", ".join(f"{{{{{k}}}}}" for k in sorted(values))
                )
            return values[name]

        return PLACEHOLDER.sub(one, text)

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return fill(node)
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {fill(k): walk(v) for k, v in node.items()}
        return node

    return walk(document)

"""`linking plan --cache DIR`: reuse a stack's result while nothing it depends on has changed.

The key is a hash of everything that decides the result: the stack file, the project file, every policy file
the stack names, the code of the project (the program `Pulumi.yaml` names and everything it can import, as the
review counts code), the shipped tier documents, linking's own code and version, the output format, and the
day (UTC): a link that expires, or a tier whose time-bound changes, plans differently tomorrow with no file
changed. A change to any of them is a new key, so the cache never changes a result; it only skips work. A stack
whose inputs cannot be read is planned as usual, uncached.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Optional

from ..canonical import sha256_hex
from ..errors import LinkConfigError
from ..files import MAX_DOCUMENT_BYTES, MAX_STACK_FILE_BYTES, contained_path, parse_yaml, read_text
from .stackfile import find_project_root


@cache
def _linking_fingerprint() -> str:
    """linking's version and the hash of its code and shipped documents (an editable checkout changes without
    a version bump)."""
    package = Path(__file__).resolve().parent.parent
    from ..policy import policy_docs_root

    parts = []
    for root in (package, policy_docs_root()):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                parts.append(f"{path.relative_to(root).as_posix()}:{sha256_hex(path.read_bytes().decode('latin-1'))}")
    try:
        version = metadata.version("cloud-linking")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return sha256_hex(version + "\n" + "\n".join(parts))


def cache_key(path: Path, output_format: str) -> Optional[str]:
    """The stack's key, or None when something it depends on cannot be read (then it is planned uncached)."""
    try:
        text = read_text(path, str(path), limit=MAX_STACK_FILE_BYTES)
        root = find_project_root(path.resolve().parent)
        project = read_text(root / "Pulumi.yaml", "Pulumi.yaml", limit=MAX_STACK_FILE_BYTES)
        documents = [
            read_text(contained_path(value, root, "policyFile"), "policyFile", limit=MAX_DOCUMENT_BYTES)
            for value in sorted(set(_policy_files(parse_yaml(text, str(path), str(path), timestamps=False))))
        ]
    except (LinkConfigError, OSError):
        return None
    parts = [_linking_fingerprint(), output_format, path.resolve().as_posix(), text, project, *documents,
             _project_code(root.resolve()), datetime.now(timezone.utc).date().isoformat()]
    return sha256_hex(json.dumps(parts))


@cache
def _project_code(root: Path) -> str:
    """The hash of the project's code files (`linking.review.code`), once per project and process."""
    from ..review.code import code_inventory

    return sha256_hex(json.dumps(sorted(code_inventory(root).items())))


def _policy_files(node: Any) -> list[str]:
    """Every ``policyFile`` value anywhere in the stack file."""
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "policyFile" and isinstance(v, str)]
        return found + [p for v in node.values() for p in _policy_files(v)]
    if isinstance(node, list):
        return [p for v in node for p in _policy_files(v)]
    return []


def load(folder: Path, key: str) -> Optional[dict[str, Any]]:
    try:
        return json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def store(folder: Path, key: str, result: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{key}.tmp"
    temporary.write_text(json.dumps(result), encoding="utf-8")
    temporary.replace(folder / f"{key}.json")  # atomic: a concurrent reader sees the old file or the new one

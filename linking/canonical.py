"""Canonical JSON: the same value always gives the same bytes."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any, *, pretty: bool = False) -> str:
    """Sorted keys, no trailing spaces; compact unless ``pretty`` (then 2-space indent and a final newline)."""
    if pretty:
        return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_list(value: Any) -> list[Any]:
    """A "one value or a list of them" field (IAM's, RBAC's) as a list; absent is empty."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]

"""Recorded values as a reviewer sees them: secrets as placeholders, JSON documents as documents."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ..config import SECRET_PLACEHOLDER


@dataclass(frozen=True)
class Secret:
    """An input or output Pulumi treats as secret. Offline it only ever holds placeholders."""

    value: Any


def map_leaves(value: Any, leaf: Callable[[Any], Any], *, unwrap: bool = False) -> Any:
    """``leaf`` applied to every value that is not a dict, list or secret wrapper; secret wrappers kept, or
    removed with ``unwrap``."""
    if isinstance(value, Secret):
        inner = map_leaves(value.value, leaf, unwrap=unwrap)
        return inner if unwrap else Secret(inner)
    if isinstance(value, dict):
        return {k: map_leaves(v, leaf, unwrap=unwrap) for k, v in value.items()}
    if isinstance(value, list):
        return [map_leaves(v, leaf, unwrap=unwrap) for v in value]
    return leaf(value)


def plain(value: Any) -> Any:
    """Secret wrappers removed, at any depth: offline they only ever hold placeholders."""
    return map_leaves(value, lambda leaf: leaf, unwrap=True)


def parsed_json(value: Any) -> Any:
    """A JSON document held in a string (IAM policies) shown as the document itself."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def display(value: Any) -> Any:
    if isinstance(value, Secret):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: display(v) for k, v in value.items()}
    if isinstance(value, list):
        return [display(v) for v in value]
    return value



"""Recorded values as a reviewer sees them: secrets as placeholders, JSON documents as documents."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..config import SECRET_PLACEHOLDER


@dataclass(frozen=True)
class Secret:
    """An input or output Pulumi treats as secret. Offline it only ever holds placeholders."""

    value: Any


def plain(value: Any) -> Any:
    """Secret wrappers removed, at any depth: offline they only ever hold placeholders."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


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



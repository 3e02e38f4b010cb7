"""Errors a user can cause, reported without a traceback."""

from __future__ import annotations

import json
from typing import Any

import pulumi

MISSING = object()
"""Marks a key that is absent, so the message says so instead of printing None."""


def describe_value(value: Any) -> str:
    """Shows a value as the user wrote it in YAML/JSON, shortened when long."""
    if value is MISSING:
        return "(missing)"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


class LinkConfigError(pulumi.RunError, ValueError):
    """A bad value in a link's configuration or policy document.

    Subclasses ``pulumi.RunError`` so the Pulumi engine prints the message alone,
    without the program's stack trace. ``key_path`` names the config key
    (``linking:link.aws.accountId``) or the document and statement at fault.
    """

    def __init__(self, key_path: str, value: Any, expected: str) -> None:
        self.key_path = key_path
        self.value = value
        self.expected = expected
        super().__init__(f"{key_path}: got {describe_value(value)}; expected {expected}")

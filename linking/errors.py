"""Errors a user can cause, reported without a traceback."""

from __future__ import annotations

import json
from typing import Any

import pulumi

MISSING = object()
"""Marks a key that is absent, so the message says so instead of printing None."""


HIDDEN: str = "(hidden: a secret or a file's content)"
"""What an error shows instead of a value that came from a secret key, a ``secure:`` entry or a file."""


def describe_value(value: Any) -> str:
    """Shows a value as the user wrote it in YAML/JSON, shortened when long."""
    if value is MISSING:
        return "(missing)"
    if value is HIDDEN:
        return str(value)
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


class LinkConfigError(pulumi.RunError, ValueError):
    """A bad value in a link's configuration or policy document.

    Subclasses ``pulumi.RunError`` so the Pulumi engine prints the message alone,
    without the program's stack trace. ``key_path`` names the config key
    (``linking:link.aws.accountId``) or the document and statement at fault.
    With ``secret``, the value is never kept or shown: this is the one place
    that renders values into errors, and it is where secrets are masked.
    """

    def __init__(self, key_path: str, value: Any, expected: str, *, secret: bool = False) -> None:
        self.key_path = key_path
        self.value = HIDDEN if secret else value
        self.expected = expected
        super().__init__(f"{key_path}: got {describe_value(self.value)}; expected {expected}")

    def hidden(self) -> "LinkConfigError":
        """The same error with its value masked (for values read from a file or a secret)."""
        return self if self.value is HIDDEN else LinkConfigError(self.key_path, None, self.expected, secret=True)

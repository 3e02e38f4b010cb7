"""Match granted actions against a cloud's real permission catalogue (test oracle)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Iterable


class Catalogue:
    def __init__(self, path: Path, *, case_sensitive: bool) -> None:
        self.case_sensitive = case_sensitive
        self.entries = sorted({self._norm(line.strip()) for line in path.read_text().splitlines() if line.strip()})
        self._set = set(self.entries)

    def _norm(self, value: str) -> str:
        return value if self.case_sensitive else value.lower()

    def matches(self, pattern: str) -> list[str]:
        """Entries a granted action names; a wildcard (``*``/``?``) may match many."""
        pattern = self._norm(pattern)
        if "*" not in pattern and "?" not in pattern:
            return [pattern] if pattern in self._set else []
        regex = re.compile(fnmatch.translate(pattern))
        return [entry for entry in self.entries if regex.match(entry)]

    def unknown(self, actions: Iterable[str]) -> list[str]:
        """Actions (or wildcards) that name nothing in the catalogue."""
        return sorted({a for a in actions if not self.matches(a)})

"""A fleet's plan document kept on disk while its stacks arrive, so the planner's memory does not grow with them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .batch import PlannedStack


class PlanSpool:
    """The plan document of a fleet, kept on disk as the stacks arrive: memory holds only where each entry and
    document is, so it does not grow with the fleet; `write` gives what `plan_document_json` would."""

    def __init__(self) -> None:
        self.store = DiskStore()
        self.entries: list[tuple[tuple[str, str, str], int, int]] = []
        self.documents: dict[str, tuple[int, int]] = {}

    def __enter__(self) -> "PlanSpool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.store.close()

    def add(self, result: "PlannedStack") -> None:
        self.entries.append((result.sort_key, *self._put(result.entry_json)))
        for digest, text in result.documents.items():
            if digest not in self.documents:
                self.documents[digest] = self._put(text)

    def write(self, path: Path) -> None:
        from ..review.grants import plan_document_parts

        entries = (self._get(offset, size) for _, offset, size in sorted(self.entries))
        documents = ((digest, self._get(*self.documents[digest])) for digest in sorted(self.documents))
        with path.open("w", encoding="utf-8") as out:
            out.writelines(plan_document_parts(entries, documents))

    def _put(self, text: str) -> tuple[int, int]:
        return self.store.put(text.encode("utf-8"))

    def _get(self, offset: int, size: int) -> str:
        return self.store.get(offset, size).decode("utf-8")


class DiskStore:
    """Bytes kept in a temporary file instead of memory, each found again by where it was put."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()

    def put(self, data: bytes) -> tuple[int, int]:
        offset = self.file.seek(0, os.SEEK_END)
        self.file.write(data)
        return offset, len(data)

    def get(self, offset: int, size: int) -> bytes:
        self.file.seek(offset)
        return self.file.read(size)

    def close(self) -> None:
        self.file.close()

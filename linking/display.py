"""Text a terminal or a pull-request comment shows as written: nothing in it can act on the screen.

Stack files, paths and policy documents are written by whoever opened the pull request. A terminal escape
sequence in a file name can rewrite what the reviewer's terminal shows; a right-to-left override or a zero-width
character makes a comment read differently from what it says (CVE-2021-42574, "Trojan Source"). Every command
writes through `visible`: control and format characters (Unicode categories Cc, Cf, Zl, Zp) other than a line
break and a tab become ``\\u{XXXX}``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, TextIO

_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _escaped(character: str) -> str:
    return f"\\u{{{ord(character):04x}}}"


def visible(text: str) -> str:
    """``text`` with every control and format character but ``\\n`` and ``\\t`` written out as ``\\u{XXXX}``."""
    text = _ASCII_CONTROLS.sub(lambda match: _escaped(match.group()), text)
    if text.isascii():
        return text
    return "".join(
        _escaped(c) if ord(c) >= 0x80 and unicodedata.category(c) in _HIDDEN_CATEGORIES else c for c in text
    )


class VisibleStream:
    """A text stream whose writes pass through `visible` (``raw`` writes as they are: our own progress line)."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        return self.raw.write(visible(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

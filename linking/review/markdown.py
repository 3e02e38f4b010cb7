"""Markdown that text from stack files cannot break: the one place both comments (plan and diff) escape it."""

from __future__ import annotations

import re
from typing import Any

_SPECIAL = re.compile(r"([\\`*_\[\]#|<>~])")
"""What can start markup inside a line (emphasis, code, links, HTML, tables, headings' closing #, strikethrough);
list and heading markers only count at a line's start, where this text never is."""


def code(text: Any) -> str:
    """Inline code that nothing in ``text`` can end or break out of (backticks; pipes, which end a table cell
    even inside code in GitHub's tables; line breaks)."""
    return "`" + " ".join(str(text).replace("`", "'").split()).replace("|", "\\|") + "`"


def plain(text: Any) -> str:
    """Plain text in which nothing markdown or HTML could act on is left unescaped (names, owners, file paths)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))

"""Whose exception stopped a stack: the user's program, a library it called, or linking itself.

A traceback's frames say it. The last frame that is neither a library's (site-packages, the standard library) nor
the interpreter's decides: in the program's folder, it is the user's, reported with its type, message and file and
line, as Python would; anywhere else (linking's package), it is a defect of ours, reported without its message,
which could quote a value; with no such frame, it is the library's, reported with its type and message. ``LINKING_DEBUG=1``
(``linking plan --debug``) adds the traceback.
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from pathlib import Path
from typing import Optional

from ..errors import LinkConfigError

DEBUG = "LINKING_DEBUG"
MESSAGE_LIMIT = 300
_PACKAGE = Path(__file__).resolve().parent.parent
_LIBRARIES = tuple({Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "platstdlib", "purelib", "platlib")})


def _is_library(filename: str) -> bool:
    path = Path(filename).resolve()
    return filename.startswith("<") or "site-packages" in path.parts or any(path.is_relative_to(lib) for lib in _LIBRARIES)


def blame(exc: BaseException, program_root: Path) -> str:
    """One line saying whose exception it is and what it says (nothing of it when it is linking's)."""
    mistake = _user_mistake(exc)
    if mistake is not None:  # a setting that resolved at run time and failed its check: the user's, said as ours are
        return str(mistake)
    frames = traceback.extract_tb(exc.__traceback__)
    deciding = next((f for f in reversed(frames) if not _is_library(f.filename)), None)
    kind = type(exc).__name__
    message = " ".join(str(exc).split())
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT] + "..."
    root = program_root.resolve()
    if deciding is not None and Path(deciding.filename).resolve().is_relative_to(root) \
            and not Path(deciding.filename).resolve().is_relative_to(_PACKAGE):
        line = f"the program raised {kind}: {message} ({Path(deciding.filename).resolve().relative_to(root)}:{deciding.lineno})"
    elif deciding is not None:  # linking's own code, or code it was handed from elsewhere: ours to answer for
        line = f"linking could not plan this stack ({kind}, a defect in linking: please report it)"
    else:
        line = f"a library the program uses raised {kind}: {message} (linking plan --debug shows where)"
    if os.environ.get(DEBUG) == "1":
        line += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
    return line


def _user_mistake(exc: BaseException) -> Optional[LinkConfigError]:
    """A `LinkConfigError` the exception carries: Pulumi re-raises one from an Output's resolution as a ValueError
    ("While processing input ..."), with ours as its cause."""
    seen: set[int] = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, LinkConfigError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


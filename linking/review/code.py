"""What decides the code that runs: a pull request that changes it is "program changed: review the code".

No access diff can vouch for code: the program `pulumi up` runs, a ``sitecustomize.py``, a ``.pth`` file, the
requirements that install it or the workflow that plans it can each register resources the offline plan never
sees, or rewrite the plan itself. So the judge compares the two checkouts as files (read, hashed, never imported
or run) and flags every change to a file that is not inert data.

The rule is closed, not a list of dangerous names: every file is code unless it is data whose effect the plan
shows (stack files, policy documents, the program's own data files: the plan runs the unchanged program on them)
or data nothing executes (prose, images). Some data decides what runs all the same, and counts as code: every
Pulumi project, policy-pack and plugin file in any of the encodings Pulumi reads (``Pulumi.json`` is read before
``Pulumi.yaml``, and its stacks are ``Pulumi.<stack>.json``), though ``Pulumi.yaml`` counts without its
``config:``, which the plan merges and reviews; anything under ``.github/``; every ``.txt`` (a requirements file
includes any other with ``-r``); and the data files of a Python package (a folder with ``__init__.py``), which
ship and run with its code (this repository's own catalogues decide the judge's next verdicts).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Optional

from ..canonical import canonical_json
from ..errors import LinkConfigError
from ..files import MAX_STACK_FILE_BYTES, parse_yaml

MAX_TREE_FILES = 200_000
"""Files a checkout may hold before the inventory refuses it (a real repository holds far fewer)."""

INERT_SUFFIXES = frozenset({
    ".md", ".rst", ".adoc", ".json", ".yaml", ".yml", ".csv", ".tsv", ".gz",
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".pdf",
})
"""Data whose effect the plan shows (stack and policy files the unchanged program reads) or that nothing runs."""
INERT_NAMES = frozenset({"LICENSE", "NOTICE", "AUTHORS", "CHANGELOG", ".gitignore", ".gitattributes", ".editorconfig"})
CODE_NAMES = frozenset({"pyvenv.cfg", "pip.conf", "pip.ini", ".pre-commit-config.yaml", ".gitlab-ci.yml", "direct_url.json"})
"""Names with an inert suffix that decide what runs or gets installed."""
PULUMI_FILES = re.compile(r"^(Pulumi|PulumiPolicy|PulumiPlugin)\.(.+\.)?(json|ya?ml)$", re.IGNORECASE)
"""Project, stack, policy-pack and plugin files in every encoding Pulumi reads (``encoding.Exts``: json, yaml, yml)."""
CODE_FOLDERS = frozenset({".github"})
PROJECT_FILES = frozenset({"Pulumi.yaml", "Pulumi.yml"})
SKIPPED_FOLDERS = frozenset({".git"})


def is_code(relative: str, packages: frozenset[str] = frozenset()) -> bool:
    """Whether a change to this file (a path relative to the checkout) can change what runs. ``packages``: the
    folders of the checkout that are Python packages (their data ships and runs with their code)."""
    parts = relative.split("/")
    name = parts[-1]
    if CODE_FOLDERS & set(parts[:-1]) or name in CODE_NAMES or name in PROJECT_FILES:
        return True
    if PULUMI_FILES.match(name) and not _stack_file(name):
        return True
    if name in INERT_NAMES:
        return False
    if "/".join(parts[:-1]) in packages or any("/".join(parts[:index]) in packages for index in range(1, len(parts) - 1)):
        return True
    suffix = os.path.splitext(name)[1].lower()
    return suffix not in INERT_SUFFIXES


def _stack_file(name: str) -> bool:
    """A YAML stack file (``Pulumi.<stack>.yaml``): data the plan reviews. A JSON one is read only beside a JSON
    project file, which is code: it counts as code too, since the plan reads YAML stack files."""
    return bool(re.match(r"^Pulumi\..+\.ya?ml$", name)) and name not in PROJECT_FILES


def _walk(root: Path) -> Iterator[Path]:
    """Every file and symlink below ``root`` (symlinks not followed), in a stable order: in a git checkout, the files
    git tracks and the untracked ones it does not ignore (a local ``.venv`` is not the repository's; a committed one
    is), elsewhere every file."""
    listed = _git_files(root)
    if listed is not None:
        yield from (root / name for name in sorted(listed) if (root / name).is_symlink() or (root / name).is_file())
        return
    for folder, folders, files in os.walk(root, followlinks=False):
        folders[:] = sorted(name for name in folders if name not in SKIPPED_FOLDERS)
        base = Path(folder)
        for name in sorted(files + [d for d in folders if (base / d).is_symlink()]):
            yield base / name


def _git_files(root: Path) -> Optional[list[str]]:
    """``git ls-files`` of a checkout (tracked, and untracked but not ignored); None where git cannot say."""
    if not (root / ".git").exists():
        return None
    try:
        completed = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, timeout=120, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return sorted({name for name in completed.stdout.decode("utf-8", "surrogateescape").split("\0") if name})


def _fingerprint(path: Path, relative: str) -> str:
    """The file's content hash; a symlink's target (not followed); a project file without its config."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return "symlink:" + hashlib.sha256(os.readlink(path).encode("utf-8", "surrogateescape")).hexdigest()
    if relative.rsplit("/", 1)[-1] in PROJECT_FILES and info.st_size <= MAX_STACK_FILE_BYTES:
        try:
            document = parse_yaml(path.read_bytes().decode("utf-8"), relative, relative)
        except (LinkConfigError, UnicodeDecodeError):
            document = None
        if isinstance(document, dict):
            if not isinstance(document.get("config"), str):  # a string there is the older stackConfigDir
                document.pop("config", None)
            return "project:" + hashlib.sha256(canonical_json(document).encode()).hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def code_inventory(root: Path) -> dict[str, str]:
    """Each code file of a checkout (its path relative to ``root``, ``/``-separated) and its fingerprint."""
    root = Path(root)
    if not root.is_dir():
        raise LinkConfigError(str(root), str(root), "a checkout folder (--trees BASE HEAD)")
    files = []
    for count, path in enumerate(_walk(root), start=1):
        if count > MAX_TREE_FILES:
            raise LinkConfigError(str(root), str(root), f"a checkout of at most {MAX_TREE_FILES:,} files")
        files.append(path.relative_to(root).as_posix())
    packages = frozenset(name.rsplit("/", 1)[0] for name in files if name.endswith("/__init__.py"))
    return {relative: _fingerprint(root / relative, relative) for relative in files if is_code(relative, packages)}


def code_changes(base_root: Path, head_root: Path) -> list[dict[str, str]]:
    """Code files added, removed or changed from the base checkout to the head's, sorted by path."""
    base, head = code_inventory(base_root), code_inventory(head_root)
    return [
        {"path": path, "change": "added" if path not in base else "removed" if path not in head else "changed"}
        for path in sorted(base.keys() | head.keys())
        if base.get(path) != head.get(path)
    ]


def head_importable(head_root: Path) -> list[str]:
    """What of the head checkout this process could import or has imported: entries of ``sys.path`` (the working
    directory among them) and loaded modules inside it. The judge must see none: code it imported from the head
    (a ``sitecustomize.py`` on ``PYTHONPATH``) could have rewritten its verdict before it ran."""
    head = Path(head_root).resolve()
    found = []
    for entry in sys.path:
        location = Path(entry or os.getcwd()).resolve()
        if location == head or location.is_relative_to(head):
            found.append(f"sys.path entry {entry or '(the working directory)'}")
    for name, module in list(sys.modules.items()):
        module_file = getattr(module, "__file__", None)
        if module_file and Path(module_file).resolve().is_relative_to(head):
            found.append(f"module {name}")
    return found


def describe(changes: list[dict[str, str]], limit: int = 20) -> str:
    """``program changed: review the code (N files: a (added), b (changed), ...)``."""
    shown = ", ".join(f"{c['path']} ({c['change']})" for c in changes[:limit])
    more = f", and {len(changes) - limit} more" if len(changes) > limit else ""
    noun = "file" if len(changes) == 1 else "files"
    return f"program changed: review the code ({len(changes)} {noun}: {shown}{more})"


"""Reading files a pull request may have written: inside the project, bounded, never echoed.

Stack files and policy documents are planned in CI next to CI's secrets, so a
file is read only when it resolves (symlinks followed) inside the project root,
only up to a size cap, and parsed by loaders that refuse alias bombs and deep
nesting. Errors name the file and what is wrong with it, never its content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any, Optional

from .errors import LinkConfigError

MAX_STACK_FILE_BYTES = 256 * 1024
MAX_DOCUMENT_BYTES = 1024 * 1024
"""A policy document: the largest real tier (GCP admin) is about 90 KB."""
MAX_PLAN_BYTES = 512 * 1024 * 1024
"""A plan document of a whole fleet (a few kilobytes per link)."""
MAX_YAML_NODES = 200_000
"""Nodes a YAML document may expand to, aliases counted at their expanded size (a billion-laughs file is refused)."""
MAX_DEPTH = 64


def contained_path(value: str, root: Path, key_path: str) -> Path:
    """``value`` (relative to ``root``) as an absolute path that, symlinks followed, stays inside ``root``.

    Absolute paths and paths that leave the root are refused; so is a symlink
    that points outside it. The error names the key and the path as written.
    """
    if Path(value).is_absolute():
        raise LinkConfigError(key_path, value, "a path relative to the project root, not an absolute path")
    root = root.resolve()
    try:
        resolved = (root / value).resolve()
        is_file = resolved.is_relative_to(root) and resolved.is_file()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, a symlink loop
        raise LinkConfigError(key_path, value, f"a usable path inside the project root ({getattr(exc, 'strerror', None) or exc})") from None
    if not resolved.is_relative_to(root):
        raise LinkConfigError(key_path, value, f"a file inside the project root {root} (symlinks followed); this path leaves it")
    if not is_file:
        raise LinkConfigError(key_path, value, f"an existing file inside the project root (looked for {root / value})")
    return resolved


def read_text(path: Path, key_path: str, *, limit: int) -> str:
    """The file as UTF-8 text, at most ``limit`` bytes; errors say why without quoting the file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise LinkConfigError(key_path, str(path), f"a readable file ({exc.strerror})") from None
    if len(data) > limit:
        raise LinkConfigError(key_path, str(path), f"a file of at most {limit:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LinkConfigError(key_path, str(path), f"UTF-8 text (byte {exc.start} is not)") from None


class _DuplicateKey(ValueError):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are unique: with a key written twice, a reviewer reads one value and the cloud gets the other."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def parse_json(text: str, where: str, key_path: str) -> Any:
    """JSON without duplicate keys; errors give the line and column, never the text."""
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKey:
        raise LinkConfigError(key_path, where, "valid JSON whose objects name each key once (one key appears twice)") from None
    except json.JSONDecodeError as exc:
        raise LinkConfigError(key_path, where, f"valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise LinkConfigError(key_path, where, "JSON nested less deeply") from None


def parse_yaml(text: str, where: str, key_path: str, *, timestamps: bool = True) -> Any:
    """YAML with a safe loader, after checking its size once aliases are expanded and its depth.

    ``timestamps=False`` keeps unquoted dates as strings, as Pulumi reads stack config.
    """
    import yaml

    loader = _loader(timestamps)
    try:
        _check_expansion(yaml.parse(text, Loader=loader), where, key_path)
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark: Optional[Any] = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise LinkConfigError(key_path, where, f"valid YAML (error{at}: {_problem(exc)})") from None


def _problem(exc: Any) -> str:
    """PyYAML's problem ("mapping values are not allowed here") without what it quotes from the file (a tag, a
    character, a key): those are the file's content. Token names such as '<scalar>' are kept."""
    problem = getattr(exc, "problem", None) or "not YAML"
    return re.sub(r"'(?!<[a-z ]+>')[^']*'|\"[^\"]*\"", "(not shown)", problem)


def _check_expansion(events: Any, where: str, key_path: str) -> None:
    """Count the nodes a loader would build, each alias at its anchor's expanded size; refuse bombs and deep nesting."""
    import yaml

    anchors: dict[str, int] = {}
    open_collections: list[list[Any]] = []  # [anchor, expanded size so far]
    total = 0

    def count(nodes: int) -> None:
        nonlocal total
        total += nodes
        for entry in open_collections:
            entry[1] += nodes
        if total > MAX_YAML_NODES:
            raise LinkConfigError(key_path, where, f"YAML of at most {MAX_YAML_NODES:,} nodes once aliases are expanded")

    for event in events:
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            count(1)
            open_collections.append([event.anchor, 1])
            if len(open_collections) > MAX_DEPTH:
                raise LinkConfigError(key_path, where, f"YAML nested at most {MAX_DEPTH} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, size = open_collections.pop()
            if anchor:
                anchors[anchor] = size
        elif isinstance(event, yaml.ScalarEvent):
            count(1)
            if event.anchor:
                anchors[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            count(anchors.get(event.anchor or "", 1))


_LOADERS: dict[bool, Any] = {}


def _loader(timestamps: bool) -> Any:
    """libyaml's safe loader when PyYAML has it (the GCP tiers are long lists), optionally without timestamps."""
    if timestamps not in _LOADERS:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        def construct_mapping(self: Any, node: Any, deep: bool = False) -> Any:
            """Refuse a key written twice in one mapping, as Pulumi's own YAML reader does (merged keys may repeat)."""
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, Hashable) and key in seen:
                    raise yaml.constructor.ConstructorError(None, None, "found a key written twice in one mapping", key_node.start_mark)
                if isinstance(key, Hashable):
                    seen.add(key)
            return base.construct_mapping(self, node, deep=deep)

        loader: Any = type("UniqueKeysLoader", (base,), {"construct_mapping": construct_mapping})
        if not timestamps:
            loader.yaml_implicit_resolvers = {
                first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
                for first, resolvers in base.yaml_implicit_resolvers.items()
            }
        _LOADERS[timestamps] = loader
    return _LOADERS[timestamps]

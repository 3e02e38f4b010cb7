"""JSON schema validation that reports one user-readable `LinkConfigError`.

Every schema under ``linking/schemas/`` annotates its properties with
``x-expected``, the phrase an error message uses for what a key must hold.
"""

from __future__ import annotations

import typing

import json
import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from .errors import MISSING, LinkConfigError

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A schema shipped in ``linking/schemas``, by file name."""
    text = resources.files("linking").joinpath("schemas").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator(name: str) -> "jsonschema.protocols.Validator":
    import jsonschema  # on first validation, not at import: it costs as much as a cloud SDK's IAM module

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return jsonschema.validators.extend(cls, {"pattern": _whole_string_pattern})(schema)


@cache
def _anchored(pattern: str) -> re.Pattern[str]:
    """``^...$`` as a whole-string match: Python's ``$`` also matches before a final newline."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + "\\Z"
    return re.compile(pattern)


def _whole_string_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _anchored(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _property_names(name: str) -> frozenset[str]:
    """Every property name schema ``name`` declares: the key-path parts an error may show from a hidden document."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(load_schema(name))
    return frozenset(found)


def join_path(prefix: str, parts: Iterable[Any]) -> str:
    """``linking:link`` + ``["aws", "accountId"]`` -> ``linking:link.aws.accountId``; list indexes as ``[0]``."""
    path = prefix
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _deref(root: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (``#/$defs/x``) until a schema that is not only a reference."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = root
        for step in node["$ref"][2:].split("/"):
            target = target[step]
        node = target
    return node


def _walk(root: dict[str, Any], schema_path: Sequence[Any]) -> list[Any]:
    """The schemas along a validator's schema path; a local ``$ref`` is followed where the path goes through it."""
    nodes: list[Any] = [root]
    for part in schema_path:
        node = nodes[-1]
        if isinstance(node, dict) and part not in node:
            node = nodes[-1] = _deref(root, node)
        try:
            nodes.append(node[part])
        except (KeyError, IndexError, TypeError):
            return nodes + [None]
    nodes[-1] = _deref(root, nodes[-1])
    return nodes


def _expected(root: dict[str, Any], schema_path: Sequence[Any], fallback: str) -> str:
    """The ``x-expected`` of the deepest schema on the path that has one."""
    found = [n["x-expected"] for n in _walk(root, schema_path) if isinstance(n, dict) and "x-expected" in n]
    return found[-1] if found else fallback


def _subschema(root: dict[str, Any], schema_path: Sequence[Any]) -> Any:
    return _walk(root, schema_path)[-1]


def _to_config_error(error: "ValidationError", root: dict[str, Any], prefix: str, hidden: bool, names: frozenset[str]) -> LinkConfigError:
    """One violation as a key-path error. ``hidden``: the value came from a secret or a file, so neither it nor
    a key the schema does not declare is shown, and the expectation comes from the schema, not the value."""
    path = [p if not hidden or isinstance(p, int) or p in names else "(a key)" for p in error.absolute_path]
    schema_path = list(error.relative_schema_path)[:-1]  # drop the keyword itself
    if error.validator == "required":
        missing = next(k for k in error.validator_value if k not in error.instance)  # type: ignore[union-attr,operator] # required: a list
        prop_schema = _subschema(root, schema_path + ["properties", missing])
        if prop_schema is None:  # required by an if/then: describe from the object's properties
            prop_schema = _properties_of(root, path).get(missing, {})
        return LinkConfigError(
            join_path(prefix, path + [missing]), MISSING, prop_schema.get("x-expected", "a value")
        )
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(_subschema(root, schema_path + ["properties"]) or {})
        extra = sorted(set(error.instance) - set(known))
        if extra and known:
            return LinkConfigError(
                join_path(prefix, path + [extra[0] if not hidden else "(a key)"]),
                error.instance[extra[0]],
                "no such key; known keys here: " + ", ".join(known),
                secret=hidden,
            )
    fallback = f"what the schema allows here ({error.validator}: {json.dumps(error.validator_value)[:80]})" if hidden else error.message
    return LinkConfigError(join_path(prefix, path), error.instance, _expected(root, schema_path, fallback), secret=hidden)


def _properties_of(root: dict[str, Any], instance_path: Sequence[Any]) -> dict[str, Any]:
    """The ``properties`` of the schema that describes the object at ``instance_path``."""
    node = _deref(root, root)
    for part in instance_path:
        child = node.get("properties", {}).get(part, {}) if isinstance(part, str) else node.get("items", {})
        node = _deref(root, child)
    return node.get("properties", {})


def schema_errors(
    name: str, instance: Any, prefix: str, *, hide: Callable[[list[Any]], bool] = lambda path: False
) -> list[LinkConfigError]:
    """Every violation of schema ``name``, in a stable order (by key path).

    ``hide(path)`` says whether the value at that path is secret: its errors show no value.
    """
    validator = _validator(name)
    names = _property_names(name)
    errors = sorted(
        validator.iter_errors(instance),
        key=lambda e: ([str(p) for p in e.absolute_path], str(list(e.relative_schema_path))),
    )
    return [_to_config_error(e, typing.cast(dict[str, Any], validator.schema), prefix, hide(list(e.absolute_path)), names) for e in errors]


def validate(name: str, instance: Any, prefix: str, *, from_file: bool = False) -> None:
    """Raise the first violation of schema ``name`` as a `LinkConfigError` naming the key path.

    ``from_file``: the instance was read from a file, so no value of it is shown.
    """
    errors = schema_errors(name, instance, prefix, hide=lambda path: from_file)
    if errors:
        raise errors[0]

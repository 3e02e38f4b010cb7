"""Policy documents: find the shipped tiers, load a file, fill ``{{Placeholders}}``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping

from .canonical import canonical_json, sha256_hex
from .errors import LinkConfigError
from .files import MAX_DOCUMENT_BYTES, parse_json, parse_yaml, read_text
from .findings import RULES, Finding, finding

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z]+)\s*\}\}")


@cache
def policy_docs_root() -> Path:
    """``policy_docs/``: inside the installed wheel, or at the top of a source checkout."""
    packaged = resources.files("linking").joinpath("policy_docs")
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / "policy_docs"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("policy_docs/ is missing from this installation of linking")


def builtin_document_path(provider: str, name: str) -> Path:
    """``policy_docs/<provider>/<name>.json|yaml``."""
    folder = policy_docs_root() / provider
    for suffix in (".json", ".yaml"):
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no policy document {provider}/{name} in {folder}")


def load_document(path: Path, key_path: str) -> Any:
    """Parse a JSON or YAML document (bounded: size, aliases, depth); an error names the file, never its content."""
    text = read_text(path, key_path, limit=MAX_DOCUMENT_BYTES)
    return parse_json(text, str(path), key_path) if path.suffix == ".json" else parse_yaml(text, str(path), key_path)


def kept_by_ledger(document: Path) -> frozenset[str]:
    """What the ledger beside a tier document (``<name>.ledger.yaml``, reviewed with it) keeps, with its reasons:
    its ``unfenced``, ``fencedOtherwise`` and ``byName`` entries, which the lint then accepts, and its ``references``
    (resource types a create may name without owning them, as ``reference:<service>:<type>``)."""
    ledger = document.with_name(document.name.rsplit(".", 1)[0] + ".ledger.yaml")
    if not ledger.is_file():
        return frozenset()
    return _ledger_entries(ledger, ledger.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _ledger_entries(ledger: Path, mtime_ns: int) -> frozenset[str]:
    del mtime_ns  # part of the cache key only: an edited ledger is read again
    entries = load_document(ledger, ledger.name) or {}
    references = {f"{REFERENCE}{name}" for name in entries.get("references") or {}}
    kept = [*(entries.get("unfenced") or {}), *(entries.get("fencedOtherwise") or {}), *(entries.get("byName") or {})]
    return frozenset(kept) | references


def ledgered_reads(document: Path) -> list[Finding]:
    """A readonly tier's ledger entries (``unfenced``: reads it keeps although they can return secrets), as warnings
    the plan prints and the link record carries, so what a reviewer accepts is in front of them."""
    ledger = document.with_name(document.name.rsplit(".", 1)[0] + ".ledger.yaml")
    entries = (load_document(ledger, ledger.name) or {}).get("unfenced") or {} if ledger.is_file() else {}
    return [finding(RULES, "LEDGER001", f"policy_docs/{ledger.parent.name}/{ledger.name}", f"{name}: {' '.join(str(reason).split())}")
            for name, reason in sorted(entries.items())]


REFERENCE = "reference:"
"""How a ledger's reviewed reference (a resource type, ``ec2:subnet``) travels among the kept entries."""


LINK_ID_PATTERN = "[a-z][a-z0-9-]{2,29}"
"""The link id's schema pattern: what ``{{LinkId}}`` in a shipped document may become."""


@dataclass(frozen=True)
class ShippedTier:
    """A tier document we ship (``admin-wide`` is tier admin) and what its ledger keeps: how the policy pack
    recognises a deployed copy of it, by content each cloud compares (``<cloud>/shipped.py``)."""

    tier: str
    document: Mapping[str, Any]
    kept: frozenset[str]


NOT_DOCUMENTS = (".ledger.yaml", ".source.yaml", ".claims.json")
"""Beside a tier: its ledger (what it keeps that a reviewer could call an escalation, and why), the source it is
generated from (``scripts/aws_tiers.py``) and what a stack may opt in to (claims); none is a policy document."""


@cache
def shipped_tiers(provider: str) -> tuple[ShippedTier, ...]:
    """Every tier document shipped for ``provider`` (not its ledgers or sources)."""
    tiers = []
    for path in sorted((policy_docs_root() / provider).glob("*.*")):
        if path.suffix not in (".json", ".yaml") or path.name.endswith(NOT_DOCUMENTS):
            continue
        document = load_document(path, path.name)
        if isinstance(document, Mapping):
            tiers.append(ShippedTier(path.stem.split("-", 1)[0], document, kept_by_ledger(path)))
    return tuple(tiers)


def titled(provider: str, title_key: str, title: object) -> list[ShippedTier]:
    """The shipped tiers whose ``title_key`` is ``title`` as a component writes it (``{{LinkId}}`` filled with any
    link id): a GCP role's title, an Azure role definition's name."""
    if not isinstance(title, str):
        return []
    return [t for t in shipped_tiers(provider)
            if isinstance(t.document.get(title_key), str) and _title_pattern(t.document[title_key]).fullmatch(title)]


@lru_cache(maxsize=64)
def _title_pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.escape(template).replace(re.escape("{{LinkId}}"), LINK_ID_PATTERN))


def fill_placeholders(document: Any, values: Mapping[str, str], key_path: str) -> Any:
    """Replace ``{{Name}}`` in every string; an unknown name is an error.

    ``${...}`` is left alone: it is IAM's own policy-variable syntax.
    """

    def fill(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                expected = (
                    "one of the placeholders " + ", ".join(f"{{{{{k}}}}}" for k in sorted(values))
                    if values
                    else "no {{placeholders}}: this document is written for one account"
                )
                raise LinkConfigError(key_path, match.group(0), expected, secret=True)
            return values[name]

        return PLACEHOLDER.sub(one, text) if "{{" in text else text

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return fill(node)
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {fill(k): walk(v) for k, v in node.items()}
        return node

    return walk(document)


@dataclass(frozen=True)
class RenderedDocument:
    """A policy document after placeholders and checks: canonical form, its text, and the sha256 of that text."""

    document: dict[str, Any]
    text: str
    sha256: str


def render_document(
    path: Path,
    placeholders: Mapping[str, str],
    check: Callable[[Any, str], dict[str, Any]],
    key_path: str,
) -> RenderedDocument:
    """Load, fill, check and canonicalise: the one path every provider's documents take.

    ``check`` is the provider's grammar check; it returns the canonical form or
    raises a `LinkConfigError` under ``key_path``. Results are cached per file
    version and per value of the placeholders the document uses (a tier without
    placeholders is read and checked once for a whole fleet); treat the returned
    document as read-only.
    """
    mtime_ns = path.stat().st_mtime_ns
    used = _placeholders_used(path, mtime_ns, key_path)
    values = tuple((name, placeholders[name]) for name in used if name in placeholders)
    unknown = next((name for name in used if name not in placeholders), None)
    if unknown is not None:  # the error names the placeholder and lists the known ones
        fill_placeholders("{{%s}}" % unknown, placeholders, key_path)
    return _render(path, mtime_ns, values, check, key_path)


@lru_cache(maxsize=64)
def _template(path: Path, mtime_ns: int, key_path: str) -> Any:
    del mtime_ns  # part of the cache key only: an edited file is read again
    return load_document(path, key_path)


@lru_cache(maxsize=64)
def _placeholders_used(path: Path, mtime_ns: int, key_path: str) -> tuple[str, ...]:
    return tuple(sorted(set(PLACEHOLDER.findall(canonical_json(_template(path, mtime_ns, key_path))))))


_NEUTRAL_VALUE = re.compile(r"(?!arn:$)[^\s{}]+")  # "arn:" alone is not of the shape "arn:{value}"


def _shape(value: str) -> str:
    """What a grammar that only asks "no whitespace" and "an ARN" can see of a value; the braces fail every
    stricter pattern, so a template that passes with shapes in place passes with any value of the same shape."""
    return ("arn:" if value.startswith("arn:") else "") + "{value}"


@lru_cache(maxsize=256)
def _passes_with_shapes(
    path: Path, mtime_ns: int, shapes: tuple[tuple[str, str], ...], check: Callable[[Any, str], dict[str, Any]], key_path: str
) -> bool:
    try:
        check(fill_placeholders(_template(path, mtime_ns, key_path), dict(shapes), key_path), key_path)
    except LinkConfigError:
        return False
    return True


@lru_cache(maxsize=64)
def _render(
    path: Path, mtime_ns: int, placeholders: tuple[tuple[str, str], ...], check: Callable[[Any, str], dict[str, Any]], key_path: str
) -> RenderedDocument:
    # A fleet renders one tier with each link's values: the grammar is checked once per file and shape of values
    # when the check says its grammar sees no more of a value than `_shape` (``check.canonical``); each link's
    # document is then only made canonical.
    canonical = getattr(check, "canonical", None)
    try:
        filled = fill_placeholders(_template(path, mtime_ns, key_path), dict(placeholders), key_path)
        if (canonical is not None and all(_NEUTRAL_VALUE.fullmatch(value) for _, value in placeholders)
                and _passes_with_shapes(path, mtime_ns, tuple((name, _shape(value)) for name, value in placeholders), check, key_path)):
            document = canonical(filled)
        else:
            document = check(filled, key_path)
    except LinkConfigError as exc:
        raise exc.hidden() if exc.value != str(path) else exc from None  # a value from the file is never shown
    text = canonical_json(document)
    return RenderedDocument(document=document, text=text, sha256=sha256_hex(text))

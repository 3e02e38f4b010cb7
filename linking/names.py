"""Physical names derived from a link id, within each cloud's length rules; always the same for the same id."""

from __future__ import annotations

import uuid

from .canonical import sha256_hex

HASH_LENGTH = 6


def derived_name(prefix: str, link_id: str, max_length: int) -> str:
    """``prefix + link_id`` when it fits; otherwise a shortened id and a hash of the whole id.

    The hash keeps two long ids that share a beginning apart. The result never
    ends with ``-``, which most clouds refuse at the end of a name.
    """
    name = f"{prefix}{link_id}"
    if len(name) <= max_length and not name.endswith("-"):
        return name
    digest = sha256_hex(link_id)[:HASH_LENGTH]
    room = max_length - len(prefix) - 1 - HASH_LENGTH
    return f"{prefix}{link_id[:room].rstrip('-')}-{digest}"


_GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://linking.dev/")


def deterministic_guid(*parts: str) -> str:
    """A GUID (UUID v5) from its parts: a re-run, or a rename of anything else, yields the same one."""
    return str(uuid.uuid5(_GUID_NAMESPACE, "/".join(part.lower() for part in parts)))


def stable_digits(seed: str, length: int) -> str:
    """A run of digits derived from ``seed`` (stand-in project numbers and ids in the offline plan)."""
    return str(int(sha256_hex(seed), 16))[:length]


def short_hash(*parts: str) -> str:
    """A stable child-name suffix: the same grant keeps the same resource when the list around it changes."""
    return sha256_hex("/".join(parts))[:8]

"""The provider-neutral part of the stack config contract, which each cloud's ``settings.py`` builds on.

Who the control plane is, waivers, the constants every module shares, and the value checks more than one cloud
makes (URLs, expiries, tags, reasons). `linking.config` assembles the whole `LinkSpec` from this and each
cloud's settings; nothing here knows a cloud.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import typing
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, Mapping, Optional, Sequence
from urllib.parse import urlsplit

from .errors import MISSING, LinkConfigError
from .validation import join_path

if typing.TYPE_CHECKING:
    from pulumi import Output

    RunTime = typing.Union[str, Output[str]]
else:
    RunTime = str  # what the checks see at run time; the Output form is resolved before they run
"""A setting a program may pass as an Output (a run-time field): typed so, for type checkers of the program."""

CONFIG_KEY = "linking:link"
SERVICE_ACCOUNTS_KEY = "linking:serviceAccounts"
SECRET_PLACEHOLDER = "[secret]"
"""What the offline plan puts where a stack holds a ``secure:`` value it cannot decrypt."""

Tier = Literal["admin", "readonly", "custom"]

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class AwsControlPlane:
    """The control plane's AWS identity, trusted with an external ID."""

    principal_arn: RunTime
    external_id: Optional[str] = None


@dataclass(frozen=True)
class OidcControlPlane:
    """The control plane's OIDC identity provider and the exact token it presents."""

    issuer: RunTime
    subject: Optional[str] = None
    audience: Optional[str] = None
    group: Optional[str] = None
    """A group claim, for Kubernetes RBAC (credential ``none``)."""
    provider_arn: Optional[str] = None


@dataclass(frozen=True)
class GcpControlPlane:
    member: str


@dataclass(frozen=True)
class ControlPlane:
    aws: Optional[AwsControlPlane] = None
    oidc: Optional[OidcControlPlane] = None
    gcp: Optional[GcpControlPlane] = None


CONTROL_PLANE_RUN_TIME_FIELDS: dict[tuple[str, ...], str] = {("control_plane", "oidc", "issuer"): "https://issuer.stand-in.invalid"}
"""The control plane's OIDC issuer a program may pass as an Output, with its stand-in (its AWS role is AWS's)."""


@dataclass(frozen=True)
class Waiver:
    """Turns a lint error into a warning for this link, for the grant it names only; the reason goes on record."""

    rule: str
    grant: str
    """The action, permission, role or resource the finding names (``iam:PassRole``): a waiver never covers a new
    finding of the same rule on another grant."""
    reason: str


def known(value: "RunTime") -> str:
    """A run-time setting where code reads its value: in the checks (each Output was replaced by its stand-in first)
    and in a component (after `linking.component.RunTimeSettings`). An Output here is a defect."""
    assert isinstance(value, str), "a run-time setting is checked and rendered with its stand-in"
    return value


def camel(name: str) -> str:
    """``account_id`` -> ``accountId``: a Python field as its stack-file key."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def is_output(value: Any) -> bool:
    import pulumi  # the SDK is a dependency; imported here so that parsing a stack file does not need it

    return isinstance(value, pulumi.Output)


def get_at(obj: Any, path: Sequence[str]) -> Any:
    """The field at ``path`` of nested dataclasses, or None."""
    for name in path:
        obj = getattr(obj, name, None)
    return obj


def replace_at(obj: Any, path: Sequence[str], value: Any) -> Any:
    """``obj`` with the field at ``path`` (nested dataclasses) set to ``value``."""
    head, *rest = path
    return dataclasses.replace(obj, **{head: replace_at(getattr(obj, head), rest, value) if rest else value})


def when_resolved(spec: Any, *path: str) -> Any:
    """The Output a run-time setting holds, checked when it resolves exactly as a value in code is (the same schema
    and rules, the error naming the Python field); None when the setting is known now."""
    value = get_at(spec, path)
    if not is_output(value):
        return None
    source = spec._source or spec

    def check(resolved: Any) -> Any:
        replace_at(source, path, resolved).checked()
        return resolved

    return value.apply(check)


def dataclass_type(hint: Any) -> Optional[type]:
    """The dataclass inside ``Optional[X]``/``X``, if any."""
    for candidate in (hint, *typing.get_args(hint)):
        if dataclasses.is_dataclass(candidate) and isinstance(candidate, type):
            return candidate
    return None


def build(cls: type, data: Mapping[str, Any]) -> Any:
    """A (nested) dataclass from stack-file keys, as the schema has already checked them."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        key = camel(f.name)
        if not f.init or key not in data:
            continue
        if typing.get_origin(hints[f.name]) is tuple:
            item = dataclass_type(typing.get_args(hints[f.name])[0])
            kwargs[f.name] = tuple(build(item, v) if item else v for v in data[key])
        elif nested := dataclass_type(hints[f.name]):
            kwargs[f.name] = build(nested, data[key])
        else:
            kwargs[f.name] = data[key]
    return cls(**kwargs)


def _same(value: Any, default: Any) -> bool:
    return not is_output(value) and type(value) is type(default) and value == default


def unbuild(obj: Any) -> dict[str, Any]:
    """A dataclass back to config keys; a field left at its default is left out, as a stack file would (an empty
    list where the schema wants at least one item is a default, not a setting)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None or not f.init or (f.default is not dataclasses.MISSING and _same(value, f.default)):
            continue
        if dataclasses.is_dataclass(value):
            value = unbuild(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, tuple):
            value = [unbuild(v) if dataclasses.is_dataclass(v) else v for v in value]
        out[camel(f.name)] = value
    return out


def normalise_expiry(value: str, now: Optional[datetime], key_path: str, *, past_allowed: bool = False) -> str:
    """An RFC 3339 instant in the future (or, with ``past_allowed``, any), as UTC with a ``Z``."""
    expected = 'an RFC 3339 instant with a time zone in the future, such as "2027-06-30T00:00:00Z"'
    try:
        instant = parse_instant(value)
    except ValueError:
        raise LinkConfigError(key_path, value, expected) from None
    now = now or datetime.now(timezone.utc)
    if instant <= now and not past_allowed:
        raise LinkConfigError(
            key_path, value,
            f"an instant in the future (now is {now:%Y-%m-%dT%H:%M:%SZ}); for a link that has expired, set enabled: false",
        )
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(value: str) -> datetime:
    """An RFC 3339 instant (with a zone) as an aware datetime; ValueError otherwise."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(value)
    return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


RESERVED_TAG_PREFIXES = ("aws:", "linking:")
RESERVED_TAG_KEYS = ("managed-by",)


def check_tags(tags: Mapping[str, str], key_path: str) -> None:
    """Reserved keys refused in any case (AWS and Azure compare tag keys without case); no two keys differing in case."""
    seen: dict[str, str] = {}
    for key in tags:
        folded = key.casefold()
        if folded.startswith(RESERVED_TAG_PREFIXES) or folded in RESERVED_TAG_KEYS:
            raise LinkConfigError(join_path(key_path, [key]), key, "a tag key of your own: aws:, linking: and managed-by are reserved, in any case")
        if folded in seen:
            raise LinkConfigError(join_path(key_path, [key]), key, f"a key that differs from {seen[folded]!r} in more than case (Azure keeps one of them)")
        seen[folded] = key


def not_structured(key: str) -> LinkConfigError:
    """A config key that must hold structured config holds a string (never shown: it may be a decrypted secret)."""
    return LinkConfigError(key, None, "structured config (a YAML mapping or list under the key), not a string", secret=True)


def check_https_url(value: str, key_path: str, what: str) -> None:
    """An https URL with a host and nothing that could hide another one: no userinfo, query or fragment.

    A credential in the URL is refused without echoing it.
    """
    parts = urlsplit(value)
    try:
        _ = parts.port  # parsing the port raises for a bad one
    except ValueError:
        raise LinkConfigError(key_path, value, f"{what}: https://host[:port][/path] with a valid port") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise LinkConfigError(key_path, value, f"{what} without credentials or user info (user@host)", secret=True)
    host = parts.hostname or ""
    if parts.scheme != "https" or not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\]", host) or parts.query or parts.fragment:
        raise LinkConfigError(key_path, value, f"{what}: https://host[:port][/path], with no query or fragment")


def visible_words(text: str) -> list[str]:
    """Runs of two or more letters or digits; invisible and formatting characters separate nothing and count as nothing."""
    visible = "".join(ch for ch in text if not unicodedata.category(ch).startswith(("C", "M")))
    return [word for word in re.split(r"[\W_]+", visible) if len(word) >= 2]


def require_oidc_subject(oidc: OidcControlPlane, prefix: str) -> None:
    if oidc.subject is None:
        raise LinkConfigError(
            join_path(prefix, ["controlPlane", "oidc", "subject"]), MISSING, "the exact subject (sub claim) to trust"
        )


def is_base64_pem(value: str) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return False
    return "-----BEGIN CERTIFICATE-----" in decoded and "-----END CERTIFICATE-----" in decoded


AWS_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/")
"""A control plane's AWS role (trusted by AWS roles and by GCP workload identity pools alike)."""

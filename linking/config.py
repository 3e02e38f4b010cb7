"""The stack config contract: ``linking:link`` -> a validated, typed `LinkSpec`.

`LinkSpec` is also the typed argument every component takes, so a program that
builds one in code is checked by the same schema and rules as a stack file. Each
cloud's section and its cross-key rules live in ``linking/<cloud>/settings.py``; the
provider-neutral parts in `linking.contract`.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional

from .aws.settings import AwsClaim, AwsSettings, AwsWorkload
from .azure.settings import AzureClientSecret, AzureRoleAssignmentSpec, AzureSettings, AzureWorkload
from .contract import (
    CONFIG_KEY,
    CONTROL_PLANE_RUN_TIME_FIELDS,
    SERVICE_ACCOUNTS_KEY,
    AwsControlPlane,
    ControlPlane,
    GcpControlPlane,
    OidcControlPlane,
    Tier,
    Waiver,
    build,
    camel,
    check_https_url,
    check_tags,
    dataclass_type,
    is_output,
    known,
    normalise_expiry,
    replace_at,
    unbuild,
)
from .errors import MISSING, LinkConfigError
from .files import contained_path
from .gcp.settings import GcpSettings, GcpWorkload
from .kubernetes.settings import AdmissionFence, KubernetesSettings, PodSecurity
from .providers import PROVIDERS, Provider, cloud, clouds
from .validation import join_path, schema_errors

__all__ = [
    "AdmissionFence", "AwsClaim", "AwsControlPlane", "AwsSettings", "AwsWorkload", "AzureClientSecret",
    "AzureRoleAssignmentSpec", "AzureSettings", "AzureWorkload", "ControlPlane", "GcpControlPlane", "GcpSettings",
    "GcpWorkload", "KubernetesSettings", "LinkSpec", "OidcControlPlane", "PodSecurity", "Waiver", "WorkloadSpec",
    "load_service_accounts",
]


@cache
def secret_keys() -> tuple[str, ...]:
    """Keys that may hold a secret, relative to ``linking:link``: each cloud's."""
    return tuple(key for found in clouds() for key in found.secret_keys)


@cache
def run_time_fields() -> dict[tuple[str, ...], str]:
    """Settings a program may pass as an Output (an account, subscription, project or cluster it creates in the same
    run, a control-plane role or issuer it declares) -> the stand-in checked and rendered at plan time. Each stand-in
    has the real form (an AWS account id its length), so sizes, layouts and lint hold, and none contains another, so
    a rendered document takes the real values by replacing text (`linking.component.RunTimeSettings`)."""
    return {**{path: value for found in clouds() for path, value in found.run_time_fields.items()}, **CONTROL_PLANE_RUN_TIME_FIELDS}


@dataclass(frozen=True)
class LinkSpec:
    """One link: who may use which identity, with which tier, until when."""

    id: str
    tier: Tier
    owner: str
    provider: Provider = typing.cast(Provider, None)
    """Which cloud; in code it may be left out: the one settings section given (``aws=...``) says it."""
    control_plane: ControlPlane = field(default_factory=ControlPlane)
    display_name: Optional[str] = None
    policy_file: Optional[str] = None
    """Absolute after `from_config`; relative paths resolve against the project root."""
    expires_at: Optional[str | datetime] = None
    """RFC 3339, normalised to UTC with a ``Z`` suffix by `from_config`; in code also a timezone-aware datetime."""
    enabled: bool = True
    aws: Optional[AwsSettings] = None
    azure: Optional[AzureSettings] = None
    gcp: Optional[GcpSettings] = None
    kubernetes: Optional[KubernetesSettings] = None
    tags: Mapping[str, str] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    _checked: bool = field(default=False, init=False, repr=False, compare=False)
    _source: Optional["LinkSpec"] = field(default=None, init=False, repr=False, compare=False)
    """The spec as the program built it, when this one is its checked form (a run-time value is checked against it)."""

    def __post_init__(self) -> None:
        if self.provider is None:
            given = [name for name in PROVIDERS if getattr(self, name) is not None]
            if len(given) != 1:
                sections = ", ".join(f"{name}=" for name in PROVIDERS)
                raise LinkConfigError("LinkSpec.provider", MISSING, f"a provider, or exactly one of {sections}")
            object.__setattr__(self, "provider", given[0])
        if isinstance(self.expires_at, datetime):
            if self.expires_at.tzinfo is None:
                raise LinkConfigError("LinkSpec.expires_at", str(self.expires_at), "a timezone-aware datetime (or an RFC 3339 string)")
            object.__setattr__(self, "expires_at", self.expires_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @property
    def settings(self) -> Any:
        """This link's own cloud section (``spec.aws`` for an AWS link)."""
        return getattr(self, self.provider)

    @property
    def expiry(self) -> Optional[str]:
        """`expires_at` as kept: RFC 3339 in UTC (a datetime given in code is turned into that when the spec is made)."""
        assert not isinstance(self.expires_at, datetime)
        return self.expires_at

    @classmethod
    def from_config(
        cls,
        raw: Any,
        *,
        project_root: Optional[Path | str] = ".",
        now: Optional[datetime] = None,
        allow_unreadable_secrets: bool = False,
        prefix: str = CONFIG_KEY,
    ) -> "LinkSpec":
        """Validate a ``linking:link`` value and build the spec, or raise one `LinkConfigError`.

        ``allow_unreadable_secrets`` accepts ``[secret]`` in secret keys:
        the offline plan's stand-in for a value only the Pulumi backend can decrypt.
        A ``policyFile`` must stay inside ``project_root``; ``project_root=None`` is for a spec a program
        built in code, whose paths are its author's own (resolved from the working directory, not contained).
        """
        from .contract import SECRET_PLACEHOLDER

        if not isinstance(raw, Mapping):
            raise LinkConfigError(prefix, raw, "an object (structured config under linking:link)")
        errors = schema_errors("link-config.schema.json", raw, prefix, hide=_is_secret_path)
        if allow_unreadable_secrets:
            placeholders = {join_path(prefix, key.split(".")) for key in secret_keys() if _at(raw, key) == SECRET_PLACEHOLDER}
            errors = [e for e in errors if e.key_path not in placeholders]
        if errors:
            raise errors[0]
        data = dict(raw)
        if "expiresAt" in data:
            # A disabled link may keep an expiry that has passed: that is how an expired link is put to rest.
            data["expiresAt"] = normalise_expiry(
                data["expiresAt"], now, join_path(prefix, ["expiresAt"]), past_allowed=data.get("enabled") is False
            )
        if "policyFile" in data:
            data["policyFile"] = str(_policy_path(data["policyFile"], project_root, join_path(prefix, ["policyFile"])))
        spec = build(cls, data)
        _check_values(spec, prefix)
        spec = cloud(spec.provider).check(spec, prefix, now or datetime.now(timezone.utc))
        object.__setattr__(spec, "_checked", True)
        return spec

    def to_config(self) -> dict[str, Any]:
        """The ``linking:link`` value that `from_config` turns back into this spec."""
        return unbuild(self)

    def checked(self) -> "LinkSpec":
        """This spec after the checks a stack file gets; a spec built in code is checked here once.

        A field that may be an Output (`run_time_fields`, say an account a program vends in the same run) is
        checked with a stand-in of the right form and keeps its Output; the component checks the value itself
        when it resolves, before any resource that depends on it is created.
        """
        if self._checked:
            return self
        config, restore = stand_ins(self.to_config())
        for key_path, value in config_values(config):
            if is_output(value):
                raise LinkConfigError(python_field(key_path), "(an Output)", "a value known when the program runs here")
        try:
            checked = restore(LinkSpec.from_config(config, project_root=None))
        except LinkConfigError as exc:  # name the Python field the program set, not a stack-file key
            raise LinkConfigError(python_field(exc.key_path), exc.value, exc.expected) from None
        object.__setattr__(checked, "_source", self)
        return checked

    def run_time_fields(self) -> dict[tuple[str, ...], str]:
        """`run_time_fields`, for the components (which see a spec, never this module)."""
        return run_time_fields()


def run_time_keys() -> str:
    """`run_time_fields` as stack-file keys, for messages."""
    return ", ".join(".".join(camel(part) for part in path) for path in run_time_fields())


def stand_ins(config: Mapping[str, Any]) -> tuple[Any, Callable[["LinkSpec"], "LinkSpec"]]:
    """A ``linking:link`` mapping with each Output of a `run_time_fields` setting replaced by its stand-in, and the
    function that puts the Outputs back into the checked spec (the component checks them when they resolve)."""
    config = _copy_mappings(config)
    pending = {}
    for path, stand_in in run_time_fields().items():
        *sections, key = [camel(part) for part in path]
        parent: Any = config
        for section in sections:
            parent = parent.get(section) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and is_output(parent.get(key)):
            pending[path] = parent[key]
            parent[key] = stand_in

    def restore(spec: LinkSpec) -> LinkSpec:
        for path, value in pending.items():
            spec = replace_at(spec, path, value)
            object.__setattr__(spec, "_checked", True)
        return spec

    return config, restore


def _copy_mappings(value: Any) -> Any:
    return {key: _copy_mappings(item) for key, item in value.items()} if isinstance(value, Mapping) else value


def config_values(value: Any, path: str = CONFIG_KEY) -> Iterable[tuple[str, Any]]:
    """Every leaf of a ``linking:link`` mapping, with its key path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from config_values(item, join_path(path, [key]))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from config_values(item, join_path(path, [index]))
    else:
        yield path, value


def python_field(key_path: str) -> str:
    """``linking:link.aws.accountId`` -> ``AwsSettings.account_id``: where a spec built in code went wrong."""
    if not key_path.startswith(CONFIG_KEY):
        return key_path
    cls: Any = LinkSpec
    owner, name = "LinkSpec", key_path
    for part in re.split(r"\.|\[\d+\]", key_path[len(CONFIG_KEY):].lstrip(".")):
        if not part:
            continue
        hints = typing.get_type_hints(cls) if dataclasses.is_dataclass(cls) else {}
        snake = next((f.name for f in dataclasses.fields(cls) if camel(f.name) == part), None) if dataclasses.is_dataclass(cls) else None
        if snake is None:
            return f"{owner}.{name}.{part}" if name else key_path
        owner, name = cls.__name__, snake
        hint = hints.get(snake)
        inner = dataclass_type(hint) or next((dataclass_type(a) for a in typing.get_args(hint)), None)
        if inner is not None:
            cls = inner
    return f"{owner}.{name}"


def _policy_path(value: Any, project_root: Optional[Path | str], key_path: str) -> Path:
    if project_root is not None:
        return contained_path(value, Path(project_root), key_path)
    try:
        path = Path(value).resolve()
        is_file = path.is_file()
    except (OSError, ValueError):
        is_file = False
    if not is_file:
        raise LinkConfigError(key_path, value, "an existing policy file")
    return path


@dataclass(frozen=True)
class WorkloadSpec:
    """One Kubernetes ServiceAccount and the cloud identity it assumes."""

    name: str
    namespace: str
    cloud: str
    owner: str
    aws: Optional[AwsWorkload] = None
    gcp: Optional[GcpWorkload] = None
    azure: Optional[AzureWorkload] = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        """The ``sub`` claim of the ServiceAccount's projected token."""
        return f"system:serviceaccount:{self.namespace}:{self.name}"

    @property
    def settings(self) -> Any:
        """The section of the cloud its identity is in (``workload.aws`` for an EKS role)."""
        return getattr(self, self.cloud)


def load_service_accounts(
    raw: Any, *, project_root: Path | str = ".", prefix: str = SERVICE_ACCOUNTS_KEY
) -> list[WorkloadSpec]:
    """Validate ``linking:serviceAccounts`` and build the specs, or raise one `LinkConfigError`.

    Their documents are rendered and linted by `linking.workload.documents.check_workload`, before registration.
    """
    errors = schema_errors("service-accounts.schema.json", raw, prefix)
    if errors:
        raise errors[0]
    specs = []
    seen: dict[tuple[str, str], int] = {}
    issuers: dict[str, int] = {}
    for index, entry in enumerate(raw):
        key = (entry["namespace"], entry["name"])
        if key in seen:
            raise LinkConfigError(
                join_path(prefix, [index]), f"{key[0]}/{key[1]}", f"a namespace/name pair not already used by entry [{seen[key]}]"
            )
        seen[key] = index
        data = dict(entry)
        for found in clouds():
            section = entry.get(found.name)
            if not section:
                continue
            key_path = join_path(prefix, [index, found.name])
            if found.prepare_workload is not None:
                data[found.name] = found.prepare_workload(dict(section), key_path, Path(project_root), issuers, index)
            if "oidcIssuer" in section:
                check_https_url(section["oidcIssuer"], join_path(key_path, ["oidcIssuer"]), "the cluster's OIDC issuer URL")
        check_tags(entry.get("tags", {}), join_path(prefix, [index, "tags"]))
        specs.append(build(WorkloadSpec, data))
    return specs


def _at(raw: Any, dotted: str) -> Any:
    """The value at a dotted key path of a config mapping, or None."""
    for part in dotted.split("."):
        raw = raw.get(part) if isinstance(raw, Mapping) else None
    return raw


def _is_secret_path(path: list[Any]) -> bool:
    """Whether a schema error at ``path`` (below ``linking:link``) is about a secret key's value."""
    dotted = ".".join(str(part) for part in path)
    return any(dotted == key or dotted.startswith(key + ".") for key in secret_keys())


def _check_values(spec: LinkSpec, prefix: str) -> None:
    """Values that match the schema's shape but not its meaning, for every cloud: the issuer URL, tags (each cloud's
    own in its ``check``)."""
    cp = spec.control_plane
    if cp.oidc is not None:
        check_https_url(known(cp.oidc.issuer), join_path(prefix, ["controlPlane", "oidc", "issuer"]), "the OIDC issuer URL")
    check_tags(spec.tags, join_path(prefix, ["tags"]))


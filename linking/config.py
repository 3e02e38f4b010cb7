"""The stack config contract: ``linking:link`` -> a validated, typed `LinkSpec`.

`LinkSpec` is also the typed argument every component takes, so a program that
builds one in code is checked by the same schema and rules as a stack file.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import unicodedata
import typing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any, Iterable, Literal, Mapping, Optional, Sequence

from .errors import MISSING, LinkConfigError
from .files import contained_path
from .validation import join_path, schema_errors


if typing.TYPE_CHECKING:
    from pulumi import Output

    RunTime = typing.Union[str, Output[str]]
else:
    RunTime = str  # what the checks see at run time; the Output form is resolved before they run
"""A setting a program may pass as an Output (`RUN_TIME_FIELDS`): typed so, for type checkers of the program."""

CONFIG_KEY = "linking:link"
SERVICE_ACCOUNTS_KEY = "linking:serviceAccounts"
SECRET_PLACEHOLDER = "[secret]"
"""What the offline plan puts where a stack holds a ``secure:`` value it cannot decrypt."""

SECRET_KEYS = ("controlPlane.aws.externalId", "kubernetes.kubeconfig")
"""Keys that may hold a secret, relative to ``linking:link``."""

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


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


@dataclass(frozen=True)
class AwsClaim:
    service: str
    reason: str
    """Why this link must stamp resources of the service that it did not create (shown in the plan and the diff)."""


@dataclass(frozen=True)
class AwsSettings:
    account_id: RunTime
    """12 digits; in code also an Output (an account the program vends): checked when it resolves."""
    trust: Optional[str] = None
    """``principal`` or ``oidc``; inferred when only one of controlPlane.aws/oidc is set."""
    permissions_boundary_arn: Optional[str] = None
    max_session_hours: int = 1
    scope: Literal["owned", "account"] = "owned"
    """``owned``: the admin tier creates only what it stamps with the ownership tag and touches only what carries it.
    ``account``: the wider tier that adopts pre-existing resources (policy_docs/aws/admin-account.json); lint warns."""
    revoke_workloads: bool = False
    """When the link is disabled, its workload boundary becomes a deny-all: every role the control plane made stops."""
    allow_claims: tuple[AwsClaim, ...] = ()
    """Services whose untagged resources the admin tier may stamp (claim) although it did not create them: an opt-in,
    each with its reason, for types with no name to fence by (KMS keys, certificates)."""


@dataclass(frozen=True)
class GcpSettings:
    project: RunTime
    access: Optional[str] = None
    """``impersonation`` (default), ``workload-identity`` or ``key``."""
    services: tuple[str, ...] = ()
    key_rotation_days: int = 90
    scope: Literal["project", "wide"] = "project"
    """``project``: the admin tier for a project dedicated to the control plane, without the paths to other identities,
    data exports and audit logging. ``wide``: the wider tier (policy_docs/gcp/admin-wide.yaml); lint warns (GCP005)."""


@dataclass(frozen=True)
class AzureClientSecret:
    enabled: bool
    end_date: Optional[str] = None
    """RFC 3339, at most two years out; the secret ends at the earlier of this and the link's expiresAt."""


@dataclass(frozen=True)
class AzureSettings:
    subscription_id: RunTime
    tenant_id: RunTime
    identity: str = "managed"
    """``managed`` (user-assigned managed identity) or ``application`` (Entra application + service principal)."""
    location: Optional[str] = None
    resource_group_name: Optional[str] = None
    client_secret: Optional[AzureClientSecret] = None
    resource_groups: tuple[str, ...] = ()
    """The resource groups the admin tier works in: the link creates each one, tagged with the ownership tag."""
    scope: Literal["resource-groups", "subscription"] = "resource-groups"
    """``resource-groups``: admin only inside ``resourceGroups``, reading (readonly tier) subscription-wide.
    ``subscription``: the wider admin tier over the whole subscription; lint warns (AZ004)."""


@dataclass(frozen=True)
class KubernetesSettings:
    namespace: str = "linking"
    create_namespace: bool = True
    credential: str = "token"
    """``token`` (a service-account token in a kubeconfig) or ``none`` (bind controlPlane.oidc's user or group)."""
    server: Optional[RunTime] = None
    ca_data: Optional[RunTime] = None
    kubeconfig: Optional[str] = None
    """A secret: the kubeconfig the link's Kubernetes provider uses."""
    context: Optional[str] = None
    namespaces: tuple[str, ...] = ()
    """The namespaces the tier is granted in (RoleBindings); the admin tier's only write scope."""
    scope: Optional[str] = None
    """``namespaces`` (RoleBindings in `namespaces`) or ``cluster`` (a ClusterRoleBinding; for admin, an opt-in)."""
    create_namespaces: bool = False
    """The link creates each of `namespaces`, labelled as owned by it."""
    custom_resource_groups: tuple[str, ...] = ()
    """API groups of the CRDs the control plane may create, and whose objects it may manage in its namespaces."""
    admission_fence: Optional[AdmissionFence] = None
    """The ValidatingAdmissionPolicy fencing what the link's identity may create (on by default for tiers that write)."""
    pod_security: Optional[PodSecurity] = None
    """The Pod Security level the link's namespaces enforce (``restricted`` unless opted down with a reason)."""

    @property
    def pod_security_level(self) -> str:
        return (self.pod_security or PodSecurity()).level


@dataclass(frozen=True)
class PodSecurity:
    level: Literal["restricted", "baseline"] = "restricted"
    reason: Optional[str] = None
    """Why the namespaces enforce only ``baseline``: required with it (on record, a lint warning, risky in the diff)."""


@dataclass(frozen=True)
class AdmissionFence:
    enabled: bool = True
    reason: Optional[str] = None
    """Why the fence is off: required with ``enabled: false`` (clusters before Kubernetes 1.30)."""


Tier = Literal["admin", "readonly", "custom"]
Provider = Literal["aws", "azure", "gcp", "kubernetes"]


PROTECTED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "default")
"""Namespaces the control plane never manages: the cluster's own (and every other ``kube-`` one)."""
OWNED_LABEL = "linking.dev/owned-by"
"""The label that marks namespaces and CRDs as the link's (value: the link id)."""


@dataclass(frozen=True)
class Waiver:
    """Turns a lint error into a warning for this link, for the grant it names only; the reason goes on record."""

    rule: str
    grant: str
    """The action, permission, role or resource the finding names (``iam:PassRole``): a waiver never covers a new
    finding of the same rule on another grant."""
    reason: str


@dataclass(frozen=True)
class LinkSpec:
    """One link: who may use which identity, with which tier, until when."""

    id: str
    tier: Tier
    owner: str
    provider: Optional[Provider] = None
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
            given = [name for name in ("aws", "azure", "gcp", "kubernetes") if getattr(self, name) is not None]
            if len(given) != 1:
                raise LinkConfigError("LinkSpec.provider", MISSING, "a provider, or exactly one of aws=, azure=, gcp=, kubernetes=")
            object.__setattr__(self, "provider", given[0])
        if isinstance(self.expires_at, datetime):
            if self.expires_at.tzinfo is None:
                raise LinkConfigError("LinkSpec.expires_at", str(self.expires_at), "a timezone-aware datetime (or an RFC 3339 string)")
            object.__setattr__(self, "expires_at", self.expires_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))

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

        ``allow_unreadable_secrets`` accepts `SECRET_PLACEHOLDER` in secret keys:
        the offline plan's stand-in for a value only the Pulumi backend can decrypt.
        A ``policyFile`` must stay inside ``project_root``; ``project_root=None`` is for a spec a program
        built in code, whose paths are its author's own (resolved from the working directory, not contained).
        """
        if not isinstance(raw, Mapping):
            raise LinkConfigError(prefix, raw, "an object (structured config under linking:link)")
        errors = schema_errors("link-config.schema.json", raw, prefix, hide=_is_secret_path)
        if allow_unreadable_secrets:
            placeholders = {join_path(prefix, key.split(".")) for key in SECRET_KEYS if _at(raw, key) == SECRET_PLACEHOLDER}
            errors = [e for e in errors if e.key_path not in placeholders]
        if errors:
            raise errors[0]
        data = dict(raw)
        if "expiresAt" in data:
            # A disabled link may keep an expiry that has passed: that is how an expired link is put to rest.
            data["expiresAt"] = _normalise_expiry(
                data["expiresAt"], now, join_path(prefix, ["expiresAt"]), past_allowed=data.get("enabled") is False
            )
        if "policyFile" in data:
            data["policyFile"] = str(_policy_path(data["policyFile"], project_root, join_path(prefix, ["policyFile"])))
        spec = _build(cls, data)
        _check_values(spec, prefix)
        spec = _PROVIDER_CHECKS[spec.provider](spec, prefix, now or datetime.now(timezone.utc))
        object.__setattr__(spec, "_checked", True)
        return spec

    def to_config(self) -> dict[str, Any]:
        """The ``linking:link`` value that `from_config` turns back into this spec."""
        return _unbuild(self)

    def checked(self) -> "LinkSpec":
        """This spec after the checks a stack file gets; a spec built in code is checked here once.

        A field that may be an Output (`RUN_TIME_FIELDS`, say an account a program vends in the same run) is
        checked with a stand-in of the right form and keeps its Output; the component checks the value itself
        when it resolves, before any resource that depends on it is created.
        """
        if self._checked:
            return self
        config, restore = stand_ins(self.to_config())
        for key_path, value in config_values(config):
            if _is_output(value):
                raise LinkConfigError(python_field(key_path), "(an Output)", "a value known when the program runs here")
        try:
            checked = restore(LinkSpec.from_config(config, project_root=None))
        except LinkConfigError as exc:  # name the Python field the program set, not a stack-file key
            raise LinkConfigError(python_field(exc.key_path), exc.value, exc.expected) from None
        object.__setattr__(checked, "_source", self)
        return checked


_PEM_STAND_IN = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nlinking stand-in\n-----END CERTIFICATE-----\n").decode()
RUN_TIME_FIELDS: dict[tuple[str, ...], str] = {
    ("aws", "account_id"): "000000000000",
    ("azure", "subscription_id"): "5ca1ab1e-0000-4000-8000-000000000001",
    ("azure", "tenant_id"): "5ca1ab1e-0000-4000-8000-000000000002",
    ("gcp", "project"): "stand-in-project",
    ("kubernetes", "server"): "https://linking-stand-in.invalid",
    ("kubernetes", "ca_data"): _PEM_STAND_IN,
    ("control_plane", "aws", "principal_arn"): "arn:aws:iam::999999999999:role/linking-stand-in-principal",
    ("control_plane", "oidc", "issuer"): "https://issuer.stand-in.invalid",
}
"""Settings a program may pass as an Output (an account, subscription, project or cluster it creates in the same
run, a control-plane role or issuer it declares) -> the stand-in checked and rendered at plan time. Each stand-in
has the real form (an AWS account id its length), so sizes, layouts and lint hold, and none contains another, so a
rendered document takes the real values by replacing text (`linking.component.RunTimeSettings`)."""


def run_time_keys() -> str:
    """`RUN_TIME_FIELDS` as stack-file keys, for messages."""
    return ", ".join(".".join(_camel(part) for part in path) for path in RUN_TIME_FIELDS)


def is_stand_in(value: Any) -> bool:
    """Whether a value is the stand-in of a setting that is an Output (checked when it resolves)."""
    return isinstance(value, str) and value in RUN_TIME_FIELDS.values()


def when_resolved(spec: "LinkSpec", *path: str) -> Any:
    """The Output a run-time setting holds, checked when it resolves exactly as a value in code is (the same schema
    and rules, the error naming the Python field); None when the setting is known now."""
    value = _get_at(spec, path)
    if not _is_output(value):
        return None
    source = spec._source or spec

    def check(resolved: Any) -> Any:
        replace_at(source, path, resolved).checked()
        return resolved

    return value.apply(check)


def stand_ins(config: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    """A ``linking:link`` mapping with each Output of a `RUN_TIME_FIELDS` setting replaced by its stand-in, and the
    function that puts the Outputs back into the checked spec (the component checks them when they resolve)."""
    config = _copy_mappings(config)
    pending = {}
    for path, stand_in in RUN_TIME_FIELDS.items():
        *sections, key = [_camel(part) for part in path]
        parent: Any = config
        for section in sections:
            parent = parent.get(section) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and _is_output(parent.get(key)):
            pending[path] = parent[key]
            parent[key] = stand_in

    def restore(spec: "LinkSpec") -> "LinkSpec":
        for path, value in pending.items():
            spec = replace_at(spec, path, value)
            object.__setattr__(spec, "_checked", True)
        return spec

    return config, restore


def _copy_mappings(value: Any) -> Any:
    return {key: _copy_mappings(item) for key, item in value.items()} if isinstance(value, Mapping) else value


def _get_at(obj: Any, path: Sequence[str]) -> Any:
    for name in path:
        obj = getattr(obj, name, None)
    return obj


def replace_at(obj: Any, path: Sequence[str], value: Any) -> Any:
    """``obj`` with the field at ``path`` (nested dataclasses) set to ``value``."""
    head, *rest = path
    return dataclasses.replace(obj, **{head: replace_at(getattr(obj, head), rest, value) if rest else value})


def _is_output(value: Any) -> bool:
    import pulumi  # the SDK is a dependency; imported here so that parsing a stack file does not need it

    return isinstance(value, pulumi.Output)


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
        snake = next((f.name for f in dataclasses.fields(cls) if _camel(f.name) == part), None) if dataclasses.is_dataclass(cls) else None
        if snake is None:
            return f"{owner}.{name}.{part}" if name else key_path
        owner, name = cls.__name__, snake
        hint = hints.get(snake)
        inner = _dataclass_type(hint) or next((_dataclass_type(a) for a in typing.get_args(hint)), None)
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
class AwsWorkload:
    """EKS IAM roles for service accounts: a role trusting the cluster's OIDC issuer for one ServiceAccount."""

    oidc_issuer: RunTime
    """In code also an Output (a cluster the program creates): checked when it resolves."""
    oidc_provider_arn: Optional[str] = None
    """The cluster's IAM OIDC provider; created by the link when absent."""
    policy_arns: tuple[str, ...] = ()
    policy_file: Optional[str] = None
    """An IAM policy JSON file (absolute after `load_service_accounts`), attached inline."""
    max_session_hours: int = 1


@dataclass(frozen=True)
class GcpWorkload:
    """GKE workload identity: a Google service account the Kubernetes ServiceAccount acts as."""

    project: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class AzureRoleAssignmentSpec:
    role_definition_id: str
    scope: str


@dataclass(frozen=True)
class AzureWorkload:
    """AKS workload identity: a managed identity with a federated credential for one ServiceAccount."""

    subscription_id: str
    resource_group_name: str
    location: str
    oidc_issuer: RunTime
    """In code also an Output (a cluster the program creates): checked when it resolves."""
    role_assignments: tuple[AzureRoleAssignmentSpec, ...] = ()


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
    shared_issuers: dict[str, int] = {}
    for index, entry in enumerate(raw):
        key = (entry["namespace"], entry["name"])
        if key in seen:
            raise LinkConfigError(
                join_path(prefix, [index]), f"{key[0]}/{key[1]}", f"a namespace/name pair not already used by entry [{seen[key]}]"
            )
        seen[key] = index
        data = dict(entry)
        aws = entry.get("aws")
        if aws is not None:
            aws = dict(aws)
            if "policyFile" in aws:
                policy_key = join_path(prefix, [index, "aws", "policyFile"])
                aws["policyFile"] = str(contained_path(aws["policyFile"], Path(project_root), policy_key))
            if "oidcProviderArn" not in aws:
                if aws["oidcIssuer"] in shared_issuers:
                    raise LinkConfigError(
                        join_path(prefix, [index, "aws", "oidcProviderArn"]), MISSING,
                        f"the cluster's OIDC provider ARN: entry [{shared_issuers[aws['oidcIssuer']]}] already creates "
                        "the provider for this issuer, and IAM allows one per issuer per account",
                    )
                shared_issuers[aws["oidcIssuer"]] = index
            data["aws"] = aws
        for cloud in ("aws", "azure"):
            if entry.get(cloud):
                check_https_url(entry[cloud]["oidcIssuer"], join_path(prefix, [index, cloud, "oidcIssuer"]), "the cluster's OIDC issuer URL")
        _check_tags(entry.get("tags", {}), join_path(prefix, [index, "tags"]))
        specs.append(_build(WorkloadSpec, data))
    return specs


def _normalise_expiry(value: str, now: Optional[datetime], key_path: str, *, past_allowed: bool = False) -> str:
    expected = 'an RFC 3339 instant with a time zone in the future, such as "2027-06-30T00:00:00Z"'
    try:
        instant = _parse_instant(value)
    except ValueError:
        raise LinkConfigError(key_path, value, expected) from None
    now = now or datetime.now(timezone.utc)
    if instant <= now and not past_allowed:
        raise LinkConfigError(
            key_path, value,
            f"an instant in the future (now is {now:%Y-%m-%dT%H:%M:%SZ}); for a link that has expired, set enabled: false",
        )
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_instant(value: str) -> datetime:
    """An RFC 3339 instant (with a zone) as an aware datetime; ValueError otherwise."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(value)
    return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


def _at(raw: Any, dotted: str) -> Any:
    """The value at a dotted key path of a config mapping, or None."""
    for part in dotted.split("."):
        raw = raw.get(part) if isinstance(raw, Mapping) else None
    return raw


def _is_secret_path(path: list[Any]) -> bool:
    """Whether a schema error at ``path`` (below ``linking:link``) is about a secret key's value."""
    dotted = ".".join(str(part) for part in path)
    return any(dotted == key or dotted.startswith(key + ".") for key in SECRET_KEYS)


RESERVED_TAG_PREFIXES = ("aws:", "linking:")
RESERVED_TAG_KEYS = ("managed-by",)


def _check_tags(tags: Mapping[str, str], key_path: str) -> None:
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


PUBLIC_MEMBERS = ("allusers", "allauthenticatedusers", "principalset://goog/public:")
"""GCP members that stand for everyone (anyone on the internet, or any Google account)."""


def _check_values(spec: "LinkSpec", prefix: str) -> None:
    """Values that match the schema's shape but not its meaning: URLs, public principals, tags."""
    cp = spec.control_plane
    if cp.oidc is not None:
        check_https_url(cp.oidc.issuer, join_path(prefix, ["controlPlane", "oidc", "issuer"]), "the OIDC issuer URL")
    if cp.gcp is not None and any(public in cp.gcp.member.casefold() for public in PUBLIC_MEMBERS):
        raise LinkConfigError(
            join_path(prefix, ["controlPlane", "gcp", "member"]), cp.gcp.member,
            "one identity or group of the control plane, not everyone (allUsers, allAuthenticatedUsers, public principal sets)",
        )
    if spec.kubernetes is not None and spec.kubernetes.server is not None:
        check_https_url(spec.kubernetes.server, join_path(prefix, ["kubernetes", "server"]), "the API server URL")
    _check_tags(spec.tags, join_path(prefix, ["tags"]))


def _check_aws(spec: LinkSpec, prefix: str, now: datetime) -> LinkSpec:
    """AWS rules that span keys: which trust to use, and what it needs."""
    assert spec.aws is not None  # the schema requires the aws section for provider aws
    cp = spec.control_plane
    trust = spec.aws.trust
    if trust is None:
        if cp.aws and cp.oidc:
            raise LinkConfigError(
                join_path(prefix, ["aws", "trust"]),
                MISSING,
                "principal or oidc: controlPlane has both aws and oidc, so say which one this role trusts",
            )
        trust = "oidc" if cp.oidc else "principal"
    if trust == "principal" and cp.aws is None:
        raise LinkConfigError(
            join_path(prefix, ["controlPlane", "aws"]), MISSING, "{principalArn: ...} for aws.trust principal"
        )
    if trust == "oidc":
        if cp.oidc is None:
            raise LinkConfigError(
                join_path(prefix, ["controlPlane", "oidc"]), MISSING, "{issuer, subject, audience} for aws.trust oidc"
            )
        _require_oidc_subject(cp.oidc, prefix)
        if cp.oidc.audience is None:
            raise LinkConfigError(
                join_path(prefix, ["controlPlane", "oidc", "audience"]),
                MISSING,
                "the audience (aud claim) the control plane's token carries; AWS trust checks it",
            )
    if spec.aws.allow_claims and (spec.tier != "admin" or spec.aws.scope != "owned"):
        raise LinkConfigError(
            join_path(prefix, ["aws", "allowClaims"]), [c.service for c in spec.aws.allow_claims],
            "no claims, or tier admin with aws.scope owned: only the ownership-fenced admin tier stamps what it did not create",
        )
    return dataclasses.replace(spec, aws=dataclasses.replace(spec.aws, trust=trust))


def _check_gcp(spec: LinkSpec, prefix: str, now: datetime) -> LinkSpec:
    """GCP rules that span keys: what each access mode needs from controlPlane."""
    assert spec.gcp is not None  # the schema requires the gcp section for provider gcp
    cp = spec.control_plane
    access = spec.gcp.access or "impersonation"
    if access == "impersonation" and cp.gcp is None:
        raise LinkConfigError(
            join_path(prefix, ["controlPlane", "gcp"]), MISSING, "{member: ...}: who may impersonate the service account"
        )
    if access == "workload-identity":
        if (cp.aws is None) == (cp.oidc is None):
            raise LinkConfigError(
                join_path(prefix, ["controlPlane"]),
                sorted(k for k in ("aws", "oidc") if getattr(cp, k)),
                "exactly one of aws or oidc: the identity the workload identity pool trusts",
            )
        if cp.oidc is not None:
            _require_oidc_subject(cp.oidc, prefix)
        if cp.aws is not None and not _AWS_ROLE_ARN.match(cp.aws.principal_arn):
            raise LinkConfigError(
                join_path(prefix, ["controlPlane", "aws", "principalArn"]),
                cp.aws.principal_arn,
                "an IAM role ARN: GCP workload identity federation matches the role's assumed-role sessions",
            )
    return dataclasses.replace(spec, gcp=dataclasses.replace(spec.gcp, access=access))


def _check_kubernetes(spec: LinkSpec, prefix: str, now: datetime) -> LinkSpec:
    """Kubernetes rules that span keys: whom credential none binds, where the tier is granted, the admission fence."""
    settings = spec.kubernetes or KubernetesSettings()
    oidc = spec.control_plane.oidc
    if settings.credential == "none" and (oidc is None or (oidc.subject is None and oidc.group is None)):
        raise LinkConfigError(
            join_path(prefix, ["controlPlane", "oidc"]),
            MISSING if oidc is None else spec.to_config()["controlPlane"]["oidc"],
            "{issuer, subject or group}: the user or group the cluster's OIDC authenticator sees, for credential none",
        )
    if settings.credential == "none" and oidc is not None:
        for key in ("subject", "group"):
            name = getattr(oidc, key)
            if name is not None and name.casefold().startswith("system:"):
                raise LinkConfigError(
                    join_path(prefix, ["controlPlane", "oidc", key]), name,
                    "a user or group of the control plane's own, not a system: one (system:authenticated is every "
                    "identity of the cluster, system:unauthenticated everyone)",
                )
    settings = dataclasses.replace(settings, scope=_kubernetes_scope(spec, settings, join_path(prefix, ["kubernetes"])))
    fence = settings.admission_fence or AdmissionFence()
    if not fence.enabled and len(visible_words(fence.reason or "")) < 2:
        raise LinkConfigError(
            join_path(prefix, ["kubernetes", "admissionFence", "reason"]), fence.reason if fence.reason is not None else MISSING,
            "why the link goes without its admission fence, in at least two words (on record, and a lint warning)",
        )
    pod_security = settings.pod_security or PodSecurity()
    if pod_security.level != "restricted" and len(visible_words(pod_security.reason or "")) < 2:
        raise LinkConfigError(
            join_path(prefix, ["kubernetes", "podSecurity", "reason"]), pod_security.reason if pod_security.reason is not None else MISSING,
            "why the link's namespaces enforce only Pod Security baseline, in at least two words (on record, and a lint warning)",
        )
    for index, group in enumerate(settings.custom_resource_groups):
        if "." not in group or group.endswith((".k8s.io", ".kubernetes.io", ".x-k8s.io")) or group in ("k8s.io", "kubernetes.io"):
            raise LinkConfigError(
                join_path(prefix, ["kubernetes", "customResourceGroups", index]), group,
                "the API group of your own CRDs (a domain such as example.com), not a Kubernetes one",
            )
    if settings.ca_data is not None and not _is_base64_pem(settings.ca_data):
        raise LinkConfigError(
            join_path(prefix, ["kubernetes", "caData"]),
            settings.ca_data[:40] + ("..." if len(settings.ca_data) > 40 else ""),
            "the cluster CA certificate as base64-encoded PEM (-----BEGIN CERTIFICATE-----)",
        )
    return dataclasses.replace(spec, kubernetes=settings)


def _kubernetes_scope(spec: LinkSpec, settings: KubernetesSettings, key_path: str) -> str:
    """Where the tier is bound. The admin tier writes only in the namespaces it is given, unless it opts in to the
    whole cluster; those namespaces are never the cluster's own or the one holding the link's identity."""
    scope = settings.scope or ("namespaces" if settings.namespaces or spec.tier == "admin" else "cluster")
    if scope == "namespaces" and not settings.namespaces:
        raise LinkConfigError(
            join_path(key_path, ["namespaces"]), MISSING,
            "the namespaces the admin tier manages (it is bound there only), or scope: cluster to opt in to a cluster-wide admin",
        )
    if scope == "cluster" and settings.namespaces:
        raise LinkConfigError(join_path(key_path, ["scope"]), scope, "namespaces when namespaces are listed (scope cluster binds cluster-wide)")
    for index, namespace in enumerate(settings.namespaces):
        if namespace in PROTECTED_NAMESPACES or namespace.startswith("kube-") or namespace == settings.namespace:
            raise LinkConfigError(
                join_path(key_path, ["namespaces", index]), namespace,
                f"a namespace for the control plane's workloads: not {', '.join(PROTECTED_NAMESPACES)}, another kube- one, "
                f"or the link's own namespace {settings.namespace!r} (its token lives there)",
            )
    return scope


def visible_words(text: str) -> list[str]:
    """Runs of two or more letters or digits; invisible and formatting characters separate nothing and count as nothing."""
    visible = "".join(ch for ch in text if not unicodedata.category(ch).startswith(("C", "M")))
    return [word for word in re.split(r"[\W_]+", visible) if len(word) >= 2]


def _is_base64_pem(value: str) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return False
    return "-----BEGIN CERTIFICATE-----" in decoded and "-----END CERTIFICATE-----" in decoded


def _require_oidc_subject(oidc: OidcControlPlane, prefix: str) -> None:
    if oidc.subject is None:
        raise LinkConfigError(
            join_path(prefix, ["controlPlane", "oidc", "subject"]), MISSING, "the exact subject (sub claim) to trust"
        )


_AWS_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/")

def _check_azure(spec: LinkSpec, prefix: str, now: datetime) -> LinkSpec:
    """Azure rules that span keys: what each identity kind needs, and the client secret's end date."""
    settings = spec.azure
    assert settings is not None  # the schema requires the azure section for provider azure
    secret = settings.client_secret if settings.client_secret and settings.client_secret.enabled else None
    if settings.identity == "managed":
        if settings.location is None:
            raise LinkConfigError(join_path(prefix, ["azure", "location"]), MISSING, "the region of the managed identity, such as westeurope")
        if secret is not None:
            raise LinkConfigError(
                join_path(prefix, ["azure", "clientSecret"]), {"enabled": True},
                "no client secret with identity managed: a managed identity has none (use identity application)",
            )
    if spec.tier == "admin" and settings.scope == "resource-groups":
        if not settings.resource_groups:
            raise LinkConfigError(
                join_path(prefix, ["azure", "resourceGroups"]), MISSING,
                "the resource groups the admin tier manages (the link creates them; it works only inside them), "
                "or scope: subscription to opt in to a subscription-wide admin",
            )
    elif settings.resource_groups and (spec.tier == "readonly" or settings.scope == "subscription"):
        raise LinkConfigError(
            join_path(prefix, ["azure", "resourceGroups"]), list(settings.resource_groups),
            "no resource groups here: they fence an admin or custom tier with scope resource-groups",
        )
    identity_group = settings.resource_group_name or f"linking-{spec.id}"
    if identity_group.lower() in (g.lower() for g in settings.resource_groups):
        raise LinkConfigError(
            join_path(prefix, ["azure", "resourceGroups"]), identity_group,
            "resource groups other than the one holding the link's own identity (the control plane must not manage itself)",
        )
    if settings.resource_groups and settings.location is None:
        raise LinkConfigError(join_path(prefix, ["azure", "location"]), MISSING, "the region of the resource groups, such as westeurope")
    if secret is None or spec.control_plane.oidc is not None:
        if spec.control_plane.oidc is None:
            raise LinkConfigError(
                join_path(prefix, ["controlPlane", "oidc"]), MISSING,
                "{issuer, subject}: the federated credential the control plane signs in with",
            )
        _require_oidc_subject(spec.control_plane.oidc, prefix)
    if secret is not None:
        key_path = join_path(prefix, ["azure", "clientSecret", "endDate"])
        if secret.end_date is None:
            raise LinkConfigError(key_path, MISSING, "an end date for the client secret, at most two years out")
        end = _normalise_expiry(secret.end_date, now, key_path)
        latest = now + timedelta(days=MAX_CLIENT_SECRET_DAYS)
        if _parse_instant(end) > latest:
            raise LinkConfigError(
                key_path, secret.end_date, f"an end date at most two years out (no later than {latest:%Y-%m-%dT%H:%M:%SZ})"
            )
        settings = dataclasses.replace(settings, client_secret=dataclasses.replace(secret, end_date=end))
    return dataclasses.replace(spec, azure=settings)


MAX_CLIENT_SECRET_DAYS = 730

_PROVIDER_CHECKS = {"aws": _check_aws, "azure": _check_azure, "gcp": _check_gcp, "kubernetes": _check_kubernetes}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _dataclass_type(hint: Any) -> Optional[type]:
    """The dataclass inside ``Optional[X]``/``X``, if any."""
    for candidate in (hint, *typing.get_args(hint)):
        if dataclasses.is_dataclass(candidate):
            return candidate
    return None


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        key = _camel(f.name)
        if not f.init or key not in data:
            continue
        if typing.get_origin(hints[f.name]) is tuple:
            item = _dataclass_type(typing.get_args(hints[f.name])[0])
            kwargs[f.name] = tuple(_build(item, v) if item else v for v in data[key])
        elif nested := _dataclass_type(hints[f.name]):
            kwargs[f.name] = _build(nested, data[key])
        else:
            kwargs[f.name] = data[key]
    return cls(**kwargs)


def _same(value: Any, default: Any) -> bool:
    return not _is_output(value) and type(value) is type(default) and value == default


def _unbuild(obj: Any) -> dict[str, Any]:
    """A dataclass back to config keys; a field left at its default is left out, as a stack file would (an empty
    list where the schema wants at least one item is a default, not a setting)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None or not f.init or (f.default is not dataclasses.MISSING and _same(value, f.default)):
            continue
        if dataclasses.is_dataclass(value):
            value = _unbuild(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, tuple):
            value = [_unbuild(v) if dataclasses.is_dataclass(v) else v for v in value]
        out[_camel(f.name)] = value
    return out

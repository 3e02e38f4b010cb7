"""Azure's part of the stack config: ``linking:link.azure`` and a workload's ``azure``, and the rules that span keys."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Optional

from ..contract import RunTime, normalise_expiry, parse_instant, require_oidc_subject
from ..errors import MISSING, LinkConfigError
from ..validation import join_path

if typing.TYPE_CHECKING:
    from ..config import LinkSpec


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


RUN_TIME_FIELDS: dict[tuple[str, ...], str] = {
    ("azure", "subscription_id"): "5ca1ab1e-0000-4000-8000-000000000001",
    ("azure", "tenant_id"): "5ca1ab1e-0000-4000-8000-000000000002",
}
SECRET_KEYS: tuple[str, ...] = ()
MAX_CLIENT_SECRET_DAYS = 730


def check(spec: "LinkSpec", prefix: str, now: datetime) -> "LinkSpec":
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
    _check_resource_groups(spec, settings, prefix)
    if secret is None or spec.control_plane.oidc is not None:
        if spec.control_plane.oidc is None:
            raise LinkConfigError(
                join_path(prefix, ["controlPlane", "oidc"]), MISSING,
                "{issuer, subject}: the federated credential the control plane signs in with",
            )
        require_oidc_subject(spec.control_plane.oidc, prefix)
    if secret is not None:
        settings = dataclasses.replace(settings, client_secret=dataclasses.replace(secret, end_date=_secret_end(secret, prefix, now)))
    return dataclasses.replace(spec, azure=settings)


def _check_resource_groups(spec: "LinkSpec", settings: AzureSettings, prefix: str) -> None:
    """The admin tier's resource groups: given when its scope needs them, never the identity's own group."""
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


def _secret_end(secret: AzureClientSecret, prefix: str, now: datetime) -> str:
    """The client secret's end date, normalised: given, in the future, at most two years out."""
    key_path = join_path(prefix, ["azure", "clientSecret", "endDate"])
    if secret.end_date is None:
        raise LinkConfigError(key_path, MISSING, "an end date for the client secret, at most two years out")
    end = normalise_expiry(secret.end_date, now, key_path)
    latest = now + timedelta(days=MAX_CLIENT_SECRET_DAYS)
    if parse_instant(end) > latest:
        raise LinkConfigError(
            key_path, secret.end_date, f"an end date at most two years out (no later than {latest:%Y-%m-%dT%H:%M:%SZ})"
        )
    return end

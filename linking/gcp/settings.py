"""GCP's part of the stack config: ``linking:link.gcp`` and a workload's ``gcp``, and the rules that span keys."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Optional

from ..contract import AWS_ROLE_ARN, RunTime, known, require_oidc_subject
from ..errors import MISSING, LinkConfigError
from ..validation import join_path

if typing.TYPE_CHECKING:
    from ..config import LinkSpec


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
class GcpWorkload:
    """GKE workload identity: a Google service account the Kubernetes ServiceAccount acts as."""

    project: str
    roles: tuple[str, ...] = ()


PUBLIC_MEMBERS = ("allusers", "allauthenticatedusers", "principalset://goog/public:")
"""GCP members that stand for everyone (anyone on the internet, or any Google account)."""
RUN_TIME_FIELDS: dict[tuple[str, ...], str] = {("gcp", "project"): "stand-in-project"}
SECRET_KEYS: tuple[str, ...] = ()


def check(spec: "LinkSpec", prefix: str, now: datetime) -> "LinkSpec":
    """GCP rules that span keys: what each access mode needs from controlPlane."""
    assert spec.gcp is not None  # the schema requires the gcp section for provider gcp
    cp = spec.control_plane
    if cp.gcp is not None and any(public in cp.gcp.member.casefold() for public in PUBLIC_MEMBERS):
        raise LinkConfigError(
            join_path(prefix, ["controlPlane", "gcp", "member"]), cp.gcp.member,
            "one identity or group of the control plane, not everyone (allUsers, allAuthenticatedUsers, public principal sets)",
        )
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
            require_oidc_subject(cp.oidc, prefix)
        if cp.aws is not None and not AWS_ROLE_ARN.match(known(cp.aws.principal_arn)):
            raise LinkConfigError(
                join_path(prefix, ["controlPlane", "aws", "principalArn"]),
                cp.aws.principal_arn,
                "an IAM role ARN: GCP workload identity federation matches the role's assumed-role sessions",
            )
    return dataclasses.replace(spec, gcp=dataclasses.replace(spec.gcp, access=access))

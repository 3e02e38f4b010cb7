"""AWS's part of the stack config: ``linking:link.aws`` and a workload's ``aws``, and the rules that span keys."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Optional

from ..contract import RunTime, require_oidc_subject
from ..errors import MISSING, LinkConfigError
from ..validation import join_path

if typing.TYPE_CHECKING:
    from ..config import LinkSpec


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


RUN_TIME_FIELDS: dict[tuple[str, ...], str] = {
    ("aws", "account_id"): "000000000000",
    ("control_plane", "aws", "principal_arn"): "arn:aws:iam::999999999999:role/linking-stand-in-principal",
}
"""An account the program vends, and the control plane's role it declares, may be Outputs: their stand-ins."""
SECRET_KEYS = ("controlPlane.aws.externalId",)
"""The external ID the control plane presents (a secret)."""


def check(spec: "LinkSpec", prefix: str, now: datetime) -> "LinkSpec":
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
        require_oidc_subject(cp.oidc, prefix)
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

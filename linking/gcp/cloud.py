"""GCP as the rest of linking sees it (`linking.descriptor.Cloud`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from ..catalogue import Catalogue
from ..descriptor import Cloud
from . import settings


def _catalogues(folder: Optional[Path]) -> dict[str, Catalogue]:
    from .catalogue import catalogues, shipped_catalogues

    return shipped_catalogues() if folder is None else catalogues(folder)


def _ambient(section: Mapping[str, Any], value: Callable[[str], Any]) -> dict[str, Any]:
    """The project: the link's own, else the gcp provider's."""
    return {"gcp_project": section.get("project") or value("gcp:project")}


CLOUD = Cloud(
    name="gcp",
    component="GcpProjectLink",
    sdk_modules=("pulumi_gcp", "pulumiverse_time"),
    check=settings.check,
    target=lambda gcp: gcp.project,
    plan_cost=51.0,
    catalogues=_catalogues,
    catalogue_keys=lambda folder: ("gcp", "gcp-owner"),
    ambient=_ambient,
    identity_key="gcp_project",
    expiry_enforced=True,
    run_time_fields=settings.RUN_TIME_FIELDS,
    secret_keys=settings.SECRET_KEYS,
    wider_admin=("wide", "admin-wide"),
    workload=settings.GcpWorkload,
)

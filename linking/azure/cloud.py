"""Azure as the rest of linking sees it (`linking.descriptor.Cloud`)."""

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
    """The subscription and tenant: the link's own, else the azure-native provider's."""
    return {
        "azure_subscription_id": section.get("subscriptionId") or value("azure-native:subscriptionId"),
        "azure_tenant_id": section.get("tenantId") or value("azure-native:tenantId"),
    }


CLOUD = Cloud(
    name="azure",
    component="AzureSubscriptionLink",
    sdk_modules=("pulumi_azure_native", "pulumi_azuread"),
    check=settings.check,
    target=lambda azure: azure.subscription_id,
    plan_cost=36.0,
    catalogues=_catalogues,
    catalogue_keys=lambda folder: ("azure", "azure-data"),
    ambient=_ambient,
    identity_key="azure_subscription_id",
    run_time_fields=settings.RUN_TIME_FIELDS,
    secret_keys=settings.SECRET_KEYS,
    wildcard_noun="operations",
    workload=settings.AzureWorkload,
)

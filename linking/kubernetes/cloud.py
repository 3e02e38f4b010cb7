"""Kubernetes as the rest of linking sees it (`linking.descriptor.Cloud`)."""

from __future__ import annotations

from ..descriptor import Cloud
from . import settings

CLOUD = Cloud(
    name="kubernetes",
    component="KubernetesClusterLink",
    sdk_modules=("pulumi_kubernetes",),
    check=settings.check,
    target=lambda kubernetes: kubernetes.server or kubernetes.context or "the provider's cluster",
    plan_cost=24.0,
    catalogues=lambda folder: {},
    catalogue_keys=lambda folder: (),
    ambient=lambda section, value: {},
    run_time_fields=settings.RUN_TIME_FIELDS,
    secret_keys=settings.SECRET_KEYS,
    hosts_workloads=True,
    pulumi_package="kubernetes",
)

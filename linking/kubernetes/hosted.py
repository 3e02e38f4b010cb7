"""Kubernetes's argument types for the hosted link and linked service account (`linking.plugin`).

No ``from __future__ import annotations`` here: the analyzer reads these annotations at run time.
"""

from typing import TypedDict

import pulumi

from ..hosting import LinkArgs


class AdmissionFenceArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    reason: pulumi.Input[str]


class PodSecurityArgs(TypedDict, total=False):
    level: pulumi.Input[str]
    """restricted (the default) or baseline."""
    reason: pulumi.Input[str]
    """Why the link's namespaces enforce only baseline."""


class KubernetesSettingsArgs(TypedDict, total=False):
    namespace: pulumi.Input[str]
    create_namespace: pulumi.Input[bool]
    credential: pulumi.Input[str]
    server: pulumi.Input[str]
    ca_data: pulumi.Input[str]
    kubeconfig: pulumi.Input[str]
    context: pulumi.Input[str]
    namespaces: pulumi.Input[list[pulumi.Input[str]]]
    scope: pulumi.Input[str]
    create_namespaces: pulumi.Input[bool]
    custom_resource_groups: pulumi.Input[list[pulumi.Input[str]]]
    admission_fence: pulumi.Input[AdmissionFenceArgs]
    pod_security: pulumi.Input[PodSecurityArgs]


class KubernetesClusterLinkArgs(LinkArgs, total=False):
    kubernetes: pulumi.Input[KubernetesSettingsArgs]

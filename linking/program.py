"""The stack program: ``linking:link`` config -> one link component -> stack outputs."""

from __future__ import annotations

import importlib
from pathlib import Path

import pulumi

from .config import CONFIG_KEY, LinkSpec
from .errors import LinkConfigError

# provider -> (module, component class, args class); modules import lazily, so a
# stack for one cloud never loads another cloud's SDK.
COMPONENTS = {
    "aws": ("linking.aws", "AwsAccountLink", "AwsAccountLinkArgs"),
    "azure": ("linking.azure", "AzureSubscriptionLink", "AzureSubscriptionLinkArgs"),
    "gcp": ("linking.gcp", "GcpProjectLink", "GcpProjectLinkArgs"),
    "kubernetes": ("linking.kubernetes", "KubernetesClusterLink", "KubernetesClusterLinkArgs"),
}


def read_link(project_root: Path, *, allow_unreadable_secrets: bool = False) -> LinkSpec:
    namespace, key = CONFIG_KEY.split(":")
    raw = pulumi.Config(namespace).get_object(key)
    if raw is None:
        raise LinkConfigError(CONFIG_KEY, None, "a link in the stack config (see stacks/Pulumi.aws-example.yaml)")
    return LinkSpec.from_config(raw, project_root=project_root, allow_unreadable_secrets=allow_unreadable_secrets)


def run(project_root: Path, *, allow_unreadable_secrets: bool = False) -> None:
    """Create the stack's link and export ``linkRecord`` (public) and ``linkSecrets`` (secret).

    ``allow_unreadable_secrets`` is for the offline plan, which cannot decrypt
    ``secure:`` config values and passes a placeholder instead.
    """
    spec = read_link(project_root, allow_unreadable_secrets=allow_unreadable_secrets)
    module_name, component_name, args_name = COMPONENTS[spec.provider]
    module = importlib.import_module(module_name)
    component = getattr(module, component_name)(spec.id, getattr(module, args_name)(spec))
    pulumi.export("linkRecord", component.link_record)
    if component.link_secrets is not None:
        pulumi.export("linkSecrets", component.link_secrets)

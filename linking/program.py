"""The stack program: ``linking:link`` config -> one link component -> stack outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pulumi

from . import extras
from .component import OFFLINE
from .config import LinkSpec, load_service_accounts
from .contract import CONFIG_KEY, SERVICE_ACCOUNTS_KEY, not_structured
from .errors import MISSING, LinkConfigError
from .providers import cloud, part, workload_host
from .validation import join_path
from .workload.documents import check_workload


def require_sdk(provider: str, key_path: str) -> None:
    """A clear error, before anything registers, when the provider's SDK is not installed."""
    missing = extras.missing_modules(cloud(provider).sdk_modules)
    if missing:
        raise LinkConfigError(
            key_path, provider, f"a provider whose SDK is installed: {extras.install_hint(provider)} (missing {', '.join(missing)})"
        )


def structured_config(key: str) -> Any:
    """The structured value of ``namespace:key``; a value that is not JSON is refused without being shown
    (the SDK's own error quotes it, and it may be a decrypted secret)."""
    namespace, name = key.split(":")
    try:
        return pulumi.Config(namespace).get_object(name)
    except pulumi.config.ConfigTypeError:
        raise not_structured(key) from None


def run(project_root: Path, *, allow_unreadable_secrets: Optional[bool] = None) -> None:
    """Create the stack's link and its linked service accounts, and export what the control plane needs.

    Exports ``linkRecord`` (public) and ``linkSecrets`` (secret) for ``linking:link``,
    and ``serviceAccounts`` for ``linking:serviceAccounts``. Everything is
    validated before anything is registered. ``allow_unreadable_secrets`` is
    for the offline plan, which cannot decrypt ``secure:`` values (by default: whether this is the offline plan).
    """
    if allow_unreadable_secrets is None:
        allow_unreadable_secrets = OFFLINE.get()
    raw_link = structured_config(CONFIG_KEY)
    raw_workloads = structured_config(SERVICE_ACCOUNTS_KEY)
    if raw_link is None and raw_workloads is None:
        raise LinkConfigError(
            CONFIG_KEY, MISSING, "a link in the stack config (see stacks/Pulumi.aws-example.yaml), or linking:serviceAccounts"
        )
    spec = (
        LinkSpec.from_config(raw_link, project_root=project_root, allow_unreadable_secrets=allow_unreadable_secrets)
        if raw_link is not None
        else None
    )
    workloads = load_service_accounts(raw_workloads, project_root=project_root) if raw_workloads is not None else []
    workload_keys = [join_path(SERVICE_ACCOUNTS_KEY, [index]) for index in range(len(workloads))]
    for workload, key_path in zip(workloads, workload_keys):
        check_workload(workload, key_path)  # every document checked before anything registers
    if spec is not None:
        require_sdk(spec.provider, join_path(CONFIG_KEY, ["provider"]))
    for index, workload in enumerate(workloads):
        for provider in (workload.cloud, workload_host().name):
            require_sdk(provider, join_path(SERVICE_ACCOUNTS_KEY, [index, "cloud"]))

    cluster: Optional[pulumi.ResourceOptions] = None
    if spec is not None:
        linked = cloud(spec.provider)
        module = part(spec.provider, "component")  # only this cloud's SDK is imported
        component = getattr(module, linked.component)(spec.id, getattr(module, f"{linked.component}Args")(spec))
        pulumi.export("linkRecord", component.link_record)
        if component.link_secrets is not None:
            pulumi.export("linkSecrets", component.link_secrets)
        if linked.pulumi_package and component.cluster_provider is not None:  # the cluster link's provider, for the workloads
            cluster = pulumi.ResourceOptions(providers={linked.pulumi_package: component.cluster_provider})
    if workloads:
        from .workload.component import LinkedServiceAccount, LinkedServiceAccountArgs

        exported = []
        for workload, key_path in zip(workloads, workload_keys):
            account = LinkedServiceAccount(
                f"{workload.namespace}-{workload.name}", LinkedServiceAccountArgs(workload, key_path=key_path), opts=cluster
            )
            exported.append(
                {
                    "namespace": workload.namespace,
                    "name": workload.name,
                    "cloud": workload.cloud,
                    "owner": workload.owner,
                    "identity": account.cloud_identity,
                }
            )
        pulumi.export("serviceAccounts", exported)

"""The account guard and every invoke ask the provider the component's children will use.

Two providers answer for different accounts, subscriptions and projects: the
default one, and one named ``other``. A link passed ``other`` in any of the ways
Pulumi allows (``provider=``, ``providers=`` as a map or a list, a parent that
carries it) must be checked against ``other``'s account, in both directions.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import pulumi
import pytest

from linking.config import LinkSpec
from linking.errors import LinkConfigError
from linking.planned import Ambient, StackPlan
from linking.plan.runtime import PlanMocks, RecordingMonitor, run_program

from .conftest import BASE_LINK, REPO

DEFAULT = Ambient(
    aws_account_id="111111111111", gcp_project="default-project",
    azure_subscription_id="11111111-1111-1111-1111-111111111111", azure_tenant_id="11111111-1111-1111-1111-111111111111",
)
OTHER = Ambient(
    aws_account_id="222222222222", gcp_project="other-project",
    azure_subscription_id="22222222-2222-2222-2222-222222222222", azure_tenant_id="22222222-2222-2222-2222-222222222222",
)


class TwoProviders(PlanMocks):
    """Invokes through the provider named ``other`` answer from `OTHER`; the default provider from `DEFAULT`."""

    def __init__(self) -> None:
        super().__init__(DEFAULT)
        self.other = PlanMocks(OTHER)
        self.invoked_through: list[str] = []

    def call(self, args):  # type: ignore[override]
        through_other = "::other::" in (args.provider or "")
        self.invoked_through.append(f"{args.token} via {'other' if through_other else 'default'}")
        return self.other.call(args) if through_other else super().call(args)


def run(build: Callable[[], None]) -> tuple[StackPlan, TwoProviders, list[Any]]:
    mocks = TwoProviders()
    monitor = RecordingMonitor(mocks)
    plan = run_program({}, project_root=REPO, monitor=monitor, main=build)
    return plan, mocks, monitor.planned


def aws_link(account: str) -> dict[str, Any]:
    link = copy.deepcopy(BASE_LINK)
    link["aws"]["accountId"] = account
    return link


def gcp_link(project: str) -> dict[str, Any]:
    return {
        "id": "acme-prod", "provider": "gcp", "tier": "readonly", "owner": "platform@acme.example",
        "controlPlane": {"gcp": {"member": "serviceAccount:cp@cp-project.iam.gserviceaccount.com"}},
        "gcp": {"project": project},
    }


def azure_link(subscription: str) -> dict[str, Any]:
    return {
        "id": "acme-prod", "provider": "azure", "tier": "readonly", "owner": "platform@acme.example",
        "controlPlane": {"oidc": {"issuer": "https://issuer.example", "subject": "control-plane"}},
        "azure": {"subscriptionId": subscription, "tenantId": subscription, "location": "westeurope"},
    }


def _aws():
    import pulumi_aws as aws

    from linking.aws import AwsAccountLink, AwsAccountLinkArgs

    return aws.Provider, AwsAccountLink, AwsAccountLinkArgs, aws_link, "aws"


def _gcp():
    import pulumi_gcp as gcp

    from linking.gcp import GcpProjectLink, GcpProjectLinkArgs

    return gcp.Provider, GcpProjectLink, GcpProjectLinkArgs, gcp_link, "gcp"


def _azure():
    import pulumi_azure_native as azure_native

    from linking.azure import AzureSubscriptionLink, AzureSubscriptionLinkArgs

    return azure_native.Provider, AzureSubscriptionLink, AzureSubscriptionLinkArgs, azure_link, "azure-native"


CLOUDS = {"aws": (_aws, "aws_account_id"), "gcp": (_gcp, "gcp_project"), "azure": (_azure, "azure_subscription_id")}


class Holder(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("test:index:Holder", name, None, opts)


def _options(style: str, other: pulumi.ProviderResource, package: str) -> pulumi.ResourceOptions:
    if style == "provider":
        return pulumi.ResourceOptions(provider=other)
    if style == "providers-map":
        return pulumi.ResourceOptions(providers={package: other})
    if style == "providers-list":
        return pulumi.ResourceOptions(providers=[other])
    return pulumi.ResourceOptions(parent=Holder("holder", pulumi.ResourceOptions(providers={package: other})))


STYLES = ["provider", "providers-map", "providers-list", "parent"]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_a_link_for_the_other_providers_target_passes_and_uses_that_provider(cloud, style):
    load, field = CLOUDS[cloud]
    provider_cls, component, args, make_link, package = load()
    target = getattr(OTHER, field)

    def build() -> None:
        other = provider_cls("other")
        component("acme", args(LinkSpec.from_config(make_link(target))), opts=_options(style, other, package))

    _, mocks, planned = run(build)
    assert mocks.invoked_through and all(line.endswith("via other") for line in mocks.invoked_through)
    cloud_resources = [r for r in planned if r.custom and r.type.startswith(f"{package}:")]
    assert cloud_resources and all("::other::" in (r.provider or "") for r in cloud_resources)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_a_link_for_the_default_target_is_stopped_when_given_the_other_provider(cloud, style):
    load, field = CLOUDS[cloud]
    provider_cls, component, args, make_link, package = load()
    configured, reached = getattr(DEFAULT, field), getattr(OTHER, field)

    def build() -> None:
        other = provider_cls("other")
        component("acme", args(LinkSpec.from_config(make_link(configured))), opts=_options(style, other, package))

    with pytest.raises(LinkConfigError) as raised:
        run(build)
    assert configured in str(raised.value) and reached in str(raised.value)


def test_without_a_provider_the_default_one_answers():
    _aws()
    from linking.aws import AwsAccountLink, AwsAccountLinkArgs

    _, mocks, _ = run(lambda: AwsAccountLink("acme", AwsAccountLinkArgs(LinkSpec.from_config(aws_link("111111111111")))))
    assert mocks.invoked_through and all(line.endswith("via default") for line in mocks.invoked_through)


@pytest.mark.parametrize("style", STYLES)
def test_a_cluster_link_given_a_kubernetes_provider_creates_none_of_its_own(style):
    import pulumi_kubernetes as k8s

    from linking.kubernetes import KubernetesClusterLink, KubernetesClusterLinkArgs

    link = {"id": "acme-prod", "provider": "kubernetes", "tier": "readonly", "owner": "platform@acme.example",
            "kubernetes": {"server": "https://cluster.example"}}

    def build() -> None:
        other = k8s.Provider("other")
        KubernetesClusterLink("acme", KubernetesClusterLinkArgs(LinkSpec.from_config(link)), opts=_options(style, other, "kubernetes"))

    _, _, planned = run(build)
    assert [r.name for r in planned if r.type == "pulumi:providers:kubernetes"] == ["other"]
    objects = [r for r in planned if r.custom and r.type.startswith("kubernetes:")]
    assert objects and all("::other::" in (r.provider or "") for r in objects)


def test_a_cluster_link_given_only_another_clouds_provider_still_makes_its_own():
    import pulumi_aws as aws

    from linking.kubernetes import KubernetesClusterLink, KubernetesClusterLinkArgs

    link = {"id": "acme-prod", "provider": "kubernetes", "tier": "readonly", "owner": "platform@acme.example",
            "kubernetes": {"server": "https://cluster.example"}}

    def build() -> None:
        KubernetesClusterLink("acme", KubernetesClusterLinkArgs(LinkSpec.from_config(link)),
                              opts=pulumi.ResourceOptions(providers={"aws": aws.Provider("other")}))

    _, _, planned = run(build)
    assert [r.name for r in planned if r.type == "pulumi:providers:kubernetes"] == ["acme-cluster"]


def test_two_links_with_one_id_on_one_target_are_refused_before_the_second_registers(plan):
    """Both would create the same role (AWS names derive from the id): the clash would appear only at `pulumi up`."""
    from linking.aws import AwsAccountLink, AwsAccountLinkArgs
    from linking.config import LinkSpec
    from linking.errors import LinkConfigError

    from .conftest import BASE_LINK

    spec = LinkSpec.from_config(BASE_LINK)
    other_account = LinkSpec.from_config({**BASE_LINK, "aws": {"accountId": "210987654321"}})
    registered: list[str] = []

    def program() -> None:
        AwsAccountLink("first", AwsAccountLinkArgs(spec, verify_account=False))
        AwsAccountLink("elsewhere", AwsAccountLinkArgs(other_account, verify_account=False))  # another account: fine
        registered.append("before the second")
        AwsAccountLink("second", AwsAccountLinkArgs(spec, verify_account=False))

    monitor = RecordingMonitor(PlanMocks(Ambient()))
    with pytest.raises(LinkConfigError) as raised:
        run_program({}, project_root=plan.project_root, main=program, monitor=monitor)
    assert raised.value.key_path == "linking:link.id" and "aws 123456789012" in raised.value.expected
    assert registered == ["before the second"]
    assert not any(r.name.startswith("second") for r in monitor.planned)

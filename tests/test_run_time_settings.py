"""Settings a program creates in the same run (an account, a project, a cluster) passed as Outputs: planned with a
stand-in, filled in and checked when they resolve, with the same key-named errors as a value in code."""

from __future__ import annotations

import base64
import json
from typing import Any

import pulumi
import pytest

from linking import KubernetesSettings, LinkSpec
from linking.planned import Ambient
from linking.plan.runtime import PlanMocks

CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()


def _fresh(ambient: Ambient = Ambient()) -> None:
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.set_mocks(PlanMocks(ambient), preview=False)


def _cluster_link(server: Any, ca: Any):
    from linking.kubernetes.component import KubernetesClusterLink, KubernetesClusterLinkArgs

    spec = LinkSpec(id="fresh", tier="readonly", owner="platform@acme.example",
                    kubernetes=KubernetesSettings(server=server, ca_data=ca))
    return KubernetesClusterLink("fresh", KubernetesClusterLinkArgs(spec))


def test_a_cluster_created_in_the_same_run_is_linked_with_its_endpoint_and_ca():
    _fresh()
    link = _cluster_link(pulumi.Output.from_input("https://0123.gr7.eu-west-1.eks.amazonaws.com"), pulumi.Output.from_input(CA))

    @pulumi.runtime.test
    def check():
        def verify(values):
            kubeconfig, record = values
            assert "server: https://0123.gr7.eu-west-1.eks.amazonaws.com" in kubeconfig and CA in kubeconfig
            assert "linking-stand-in" not in kubeconfig + json.dumps(record)
            assert record["target"]["server"] == "https://0123.gr7.eu-west-1.eks.amazonaws.com"

        return pulumi.Output.all(link.kubeconfig, link.link_record).apply(verify)

    check()


@pytest.mark.parametrize("server,ca,field", [
    ("http://0123.example", CA, "KubernetesSettings.server"),
    ("https://0123.example", "not a certificate", "KubernetesSettings.ca_data"),
])
def test_a_cluster_setting_is_checked_when_it_resolves(server, ca, field):
    _fresh()
    link = _cluster_link(pulumi.Output.from_input(server), pulumi.Output.from_input(ca))

    @pulumi.runtime.test
    def check():
        return link.kubeconfig.apply(lambda _: None)

    with pytest.raises(Exception, match=field):
        check()


def test_a_setting_that_must_be_known_now_refuses_an_output():
    _fresh()
    spec = LinkSpec(id="fresh", tier="readonly", owner=pulumi.Output.from_input("platform@acme.example"),
                    kubernetes=KubernetesSettings(server="https://k8s.example", ca_data=CA))
    from linking.errors import LinkConfigError

    with pytest.raises(LinkConfigError, match="LinkSpec.owner"):
        spec.checked()



class RecordingMocks(PlanMocks):
    """The plan's mocks, keeping every resource's inputs: what a cloud would be asked to create."""

    def __init__(self) -> None:
        super().__init__(Ambient())
        self.created: list[tuple[str, str, dict]] = []

    def new_resource(self, args):
        self.created.append((args.typ, args.name, {key: _plain(value) for key, value in args.inputs.items()}))
        return super().new_resource(args)

    def inputs(self, typ: str) -> list[dict]:
        return [inputs for created, _, inputs in self.created if created == typ]


def _plain(value: Any) -> Any:
    """A value as the cloud receives it: a secret's value unwrapped."""
    from pulumi.runtime import rpc

    return rpc.unwrap_rpc_secret(value) if rpc.is_rpc_secret(value) else value


def _recording() -> RecordingMocks:
    pulumi.runtime.settings.reset_options()
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, preview=False)
    return mocks


def _created(link, mocks: RecordingMocks) -> dict:
    """Run the program to the end; the link record, with every resource created by then."""
    @pulumi.runtime.test
    def run():
        return link.link_record.apply(lambda record: record)

    record: dict = {}
    link.link_record.apply(record.update)
    run()
    return record


def _no_stand_in(mocks: RecordingMocks, record: dict, *paths: tuple[str, ...]) -> None:
    """No resource and no record names the stand-in of a setting that was an Output, in any of its forms."""
    from linking.component import _forms
    from linking.config import run_time_fields

    text = json.dumps([inputs for _, _, inputs in mocks.created] + [record], default=str)
    for path in paths:
        for form in _forms(run_time_fields()[path]):
            assert form not in text


SUBSCRIPTION, TENANT = "6f1d3a52-9c1e-4b1a-8f3e-2d7c5b9a0e11", "0a3c1d2e-4f5b-4c6d-8e7f-9a0b1c2d3e4f"
GITHUB = "https://token.actions.githubusercontent.com"


def _azure_link(subscription: Any, tenant: Any, issuer: Any):
    from linking import AzureSettings, ControlPlane, OidcControlPlane
    from linking.azure.component import AzureSubscriptionLink, AzureSubscriptionLinkArgs

    spec = LinkSpec(
        id="team", tier="admin", owner="platform@acme.example",
        control_plane=ControlPlane(oidc=OidcControlPlane(issuer=issuer, subject="repo:acme/platform:ref:refs/heads/main")),
        azure=AzureSettings(subscription_id=subscription, tenant_id=tenant, location="westeurope", resource_groups=("team-apps",)),
    )
    return AzureSubscriptionLink("team", AzureSubscriptionLinkArgs(spec, verify_subscription=False))


def test_a_subscription_vended_in_the_same_run_is_linked_with_its_id():
    """Subscription, tenant and issuer are Outputs: every scope, GUID and credential names the real values."""
    from linking.names import deterministic_guid

    mocks = _recording()
    link = _azure_link(pulumi.Output.from_input(SUBSCRIPTION), pulumi.Output.from_input(TENANT), pulumi.Output.from_input(GITHUB))
    record = _created(link, mocks)
    assert record["target"] == {"subscriptionId": SUBSCRIPTION, "tenantId": TENANT}
    definitions = mocks.inputs("azure-native:authorization:RoleDefinition")
    assert {d["roleDefinitionId"] for d in definitions} == {
        deterministic_guid(SUBSCRIPTION, "team", "role-definition"), deterministic_guid(SUBSCRIPTION, "team", "readonly-role-definition"),
    }
    assert all(d["assignableScopes"] == [f"/subscriptions/{SUBSCRIPTION}"] for d in definitions)
    reader = next(a for a in mocks.inputs("azure-native:authorization:RoleAssignment") if "condition" not in a)
    assert reader["scope"] == f"/subscriptions/{SUBSCRIPTION}"
    assert reader["roleAssignmentName"] == deterministic_guid(SUBSCRIPTION, "team", "readonly-role-assignment")
    assert mocks.inputs("azure-native:managedidentity:FederatedIdentityCredential")[0]["issuer"] == GITHUB
    _no_stand_in(mocks, record, ("azure", "subscription_id"), ("azure", "tenant_id"), ("control_plane", "oidc", "issuer"))


@pytest.mark.parametrize("subscription,tenant,issuer,field", [
    ("not-a-guid", TENANT, GITHUB, "AzureSettings.subscription_id"),
    (SUBSCRIPTION, "contoso.onmicrosoft.com", GITHUB, "AzureSettings.tenant_id"),
    (SUBSCRIPTION, TENANT, "http://issuer.example", "OidcControlPlane.issuer"),
])
def test_an_azure_run_time_setting_is_checked_when_it_resolves(subscription, tenant, issuer, field):
    _recording()
    link = _azure_link(*(pulumi.Output.from_input(value) for value in (subscription, tenant, issuer)))

    @pulumi.runtime.test
    def run():
        return link.link_record.apply(lambda _: None)

    with pytest.raises(Exception, match=field):
        run()


def _gcp_link(project: Any, **control_plane: Any):
    from linking import ControlPlane, GcpSettings
    from linking.gcp.component import GcpProjectLink, GcpProjectLinkArgs

    spec = LinkSpec(
        id="team", tier="admin", owner="platform@acme.example", control_plane=ControlPlane(**control_plane),
        gcp=GcpSettings(project=project, access="workload-identity"),
    )
    return GcpProjectLink("team", GcpProjectLinkArgs(spec, verify_project=False))


def test_a_project_created_in_the_same_run_and_an_aws_control_plane_role_are_linked_with_their_values():
    """The project id and the control plane's role ARN are Outputs: the service account, custom role, pool and the
    pool's AWS account and role condition name the real values."""
    from linking import AwsControlPlane

    mocks = _recording()
    role = "arn:aws:iam::210987654321:role/control-plane"
    link = _gcp_link(pulumi.Output.from_input("team-apps-7f3a"),
                     aws=AwsControlPlane(principal_arn=pulumi.Output.from_input(role)))
    record = _created(link, mocks)
    assert record["target"]["projectId"] == "team-apps-7f3a"
    assert {i["project"] for i in mocks.inputs("gcp:serviceaccount/account:Account")} == {"team-apps-7f3a"}
    assert {i["project"] for i in mocks.inputs("gcp:projects/iAMCustomRole:IAMCustomRole")} == {"team-apps-7f3a"}
    provider = mocks.inputs("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")[0]
    assert provider["aws"] == {"accountId": "210987654321"} and "control-plane" in provider["attributeCondition"]
    _no_stand_in(mocks, record, ("gcp", "project"), ("control_plane", "aws", "principal_arn"))


def test_a_gcp_project_is_checked_when_it_resolves():
    from linking import AwsControlPlane

    _recording()
    link = _gcp_link(pulumi.Output.from_input("Team_Apps"), aws=AwsControlPlane(principal_arn="arn:aws:iam::210987654321:role/control-plane"))

    @pulumi.runtime.test
    def run():
        return link.link_record.apply(lambda _: None)

    with pytest.raises(Exception, match="GcpSettings.project"):
        run()


def _aws_link_trusting(name: str, issuer: str):
    """A readonly AWS link trusting ``issuer``'s tokens, the issuer given as an Output (known only at run time)."""
    from linking import AwsSettings, ControlPlane, OidcControlPlane
    from linking.aws.component import AwsAccountLink, AwsAccountLinkArgs

    return AwsAccountLink(name, AwsAccountLinkArgs(LinkSpec(
        id=name, tier="readonly", owner="platform@acme.example",
        control_plane=ControlPlane(oidc=OidcControlPlane(
            issuer=pulumi.Output.from_input(issuer), subject="repo:acme/platform:ref:refs/heads/main", audience="sts.amazonaws.com")),
        aws=AwsSettings(account_id="123456789012"),
    ), verify_account=False))



def test_an_aws_control_plane_role_and_issuer_declared_in_the_same_run_are_trusted_by_value():
    from linking import AwsControlPlane, AwsSettings, ControlPlane
    from linking.aws.component import AwsAccountLink, AwsAccountLinkArgs

    mocks = _recording()
    role = "arn:aws:iam::210987654321:role/control-plane"
    principal = AwsAccountLink("by-role", AwsAccountLinkArgs(LinkSpec(
        id="by-role", tier="readonly", owner="platform@acme.example",
        control_plane=ControlPlane(aws=AwsControlPlane(principal_arn=pulumi.Output.from_input(role), external_id="x" * 32)),
        aws=AwsSettings(account_id="123456789012"),
    ), verify_account=False))
    oidc = _aws_link_trusting("by-token", GITHUB)
    records = [_created(principal, mocks), _created(oidc, mocks)]
    trusts = {name: inputs["assumeRolePolicy"] for typ, name, inputs in mocks.created if typ == "aws:iam/role:Role"}
    trusts = {name: json.loads(trust) if isinstance(trust, str) else trust for name, trust in trusts.items()}
    assert trusts["by-role-role"]["Statement"][0]["Principal"] == {"AWS": role}
    condition = json.dumps(trusts["by-token-role"]["Statement"][0]["Condition"])
    assert "token.actions.githubusercontent.com:sub" in condition and "token.actions.githubusercontent.com:aud" in condition
    assert mocks.inputs("aws:iam/openIdConnectProvider:OpenIdConnectProvider")[0]["url"] == GITHUB
    for record in records:
        _no_stand_in(mocks, record, ("control_plane", "aws", "principal_arn"), ("control_plane", "oidc", "issuer"))


def test_a_subscription_or_project_known_only_at_run_time_is_still_compared_with_the_credentials():
    """The target guard holds for a value that resolves later: the mock credentials reach another subscription and
    another project, so both links stop before creating anything that names them."""
    from linking import AwsControlPlane, AzureSettings, ControlPlane, GcpSettings, OidcControlPlane
    from linking.azure.component import AzureSubscriptionLink, AzureSubscriptionLinkArgs
    from linking.gcp.component import GcpProjectLink, GcpProjectLinkArgs

    mocks = _recording()
    azure = AzureSubscriptionLink("team", AzureSubscriptionLinkArgs(LinkSpec(
        id="team", tier="admin", owner="platform@acme.example",
        control_plane=ControlPlane(oidc=OidcControlPlane(issuer=GITHUB, subject="repo:acme/platform:ref:refs/heads/main")),
        azure=AzureSettings(subscription_id=pulumi.Output.from_input(SUBSCRIPTION), tenant_id=pulumi.Output.from_input(TENANT),
                            location="westeurope", resource_groups=("team-apps",)),
    )))
    with pytest.raises(Exception, match="expected what the credentials reach"):
        _created(azure, mocks)
    mocks = _recording()
    gcp = GcpProjectLink("team", GcpProjectLinkArgs(LinkSpec(
        id="team", tier="admin", owner="platform@acme.example",
        control_plane=ControlPlane(aws=AwsControlPlane(principal_arn="arn:aws:iam::210987654321:role/control-plane")),
        gcp=GcpSettings(project=pulumi.Output.from_input("team-apps-7f3a"), access="workload-identity"),
    )))
    with pytest.raises(Exception, match="gcp.project.*expected what the credentials reach"):
        _created(gcp, mocks)


@pytest.mark.parametrize("issuer", ["https://oidc.eks.eu-west-1.amazonaws.com/id/0123ABCD", "http://oidc.example/id/0123"])
def test_a_cluster_issuer_created_in_the_same_run_is_trusted_by_value_and_checked(issuer):
    """An EKS cluster's issuer is an Output: the IAM OIDC provider and the role's trust name its value; a wrong one
    (not https) stops them, naming the entry's key."""
    from linking.config import AwsWorkload, WorkloadSpec
    from linking.workload.component import LinkedServiceAccount, LinkedServiceAccountArgs

    mocks = _recording()
    workload = LinkedServiceAccount("apps-reader", LinkedServiceAccountArgs(WorkloadSpec(
        name="reader", namespace="apps", cloud="aws", owner="apps@acme.example",
        aws=AwsWorkload(oidc_issuer=pulumi.Output.from_input(issuer)),
    )))

    @pulumi.runtime.test
    def run():
        return workload.cloud_identity.apply(lambda _: None)

    if issuer.startswith("http://"):
        with pytest.raises(Exception, match=r"apps/reader\.aws\.oidcIssuer"):
            run()
        return
    run()
    assert mocks.inputs("aws:iam/openIdConnectProvider:OpenIdConnectProvider")[0]["url"] == issuer
    trust = mocks.inputs("aws:iam/role:Role")[0]["assumeRolePolicy"]
    assert "oidc.eks.eu-west-1.amazonaws.com/id/0123ABCD:sub" in (trust if isinstance(trust, str) else json.dumps(trust))


def test_a_resolved_value_cannot_write_json_into_a_document():
    """The schema lets a quote through in an issuer path; substituted, it stays inside its string."""

    mocks = _recording()
    issuer = 'https://issuer.example/x","Effect":"Allow'
    link = _aws_link_trusting("quoted", issuer)
    _created(link, mocks)
    trust = mocks.inputs("aws:iam/role:Role")[0]["assumeRolePolicy"]
    document = json.loads(trust) if isinstance(trust, str) else trust
    statement = document["Statement"][0]
    assert set(statement["Condition"]["StringEquals"]) == {f"{issuer[len('https://'):]}:sub", f"{issuer[len('https://'):]}:aud"}

"""LinkedServiceAccount: IRSA, GKE and AKS workload identity for one Kubernetes ServiceAccount."""

from __future__ import annotations

import copy
import shutil
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from linking.canonical import canonical_json
from linking.plan.stackfile import plan_stack_file
from linking.aws.documents import irsa_trust

from ..conftest import REPO

ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF"
PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF"
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
KSA = "kubernetes:core/v1:ServiceAccount"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
GSA = "gcp:serviceaccount/account:Account"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
FEDERATED = "azure-native:managedidentity:FederatedIdentityCredential"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"

AWS_SA = {"name": "exporter", "namespace": "reports", "cloud": "aws", "owner": "data@acme.example",
          "aws": {"oidcIssuer": ISSUER, "oidcProviderArn": PROVIDER_ARN, "policyArns": ["arn:aws:iam::aws:policy/AmazonRoute53ReadOnlyAccess"]}}
GCP_SA = {"name": "exporter", "namespace": "reports", "cloud": "gcp", "owner": "data@acme.example",
          "gcp": {"project": "acme-prod-1234", "roles": ["roles/storage.objectViewer"]}}
AZURE_SA = {"name": "exporter", "namespace": "reports", "cloud": "azure", "owner": "data@acme.example",
            "azure": {"subscriptionId": SUBSCRIPTION, "resourceGroupName": "workloads", "location": "westeurope",
                      "oidcIssuer": "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/",
                      "roleAssignments": [{"roleDefinitionId": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
                                           "scope": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/data"}]}}


def ksa(result, name: str = "reports-exporter-service-account"):
    return next(r for r in result.by_type(KSA) if r.name == name)


# --- AWS: IAM roles for service accounts ------------------------------------------------------------------


def test_irsa_trust_matches_golden_and_pins_sub_and_aud(golden):
    trust = irsa_trust(PROVIDER_ARN, ISSUER, "system:serviceaccount:reports:exporter")
    golden("aws/trust-irsa.json", canonical_json(trust, pretty=True))
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert statement["Condition"] == {"StringEquals": {
        "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF:aud": "sts.amazonaws.com",
        "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF:sub": "system:serviceaccount:reports:exporter",
    }}
    assert "*" not in canonical_json(trust)


@mock_aws
def test_iam_accepts_the_irsa_trust():
    client = boto3.client("iam", region_name="us-east-1")
    client.create_role(RoleName="r", AssumeRolePolicyDocument=canonical_json(irsa_trust(PROVIDER_ARN, ISSUER, "system:serviceaccount:a:b")))
    client.update_assume_role_policy(RoleName="r", PolicyDocument=canonical_json(irsa_trust(PROVIDER_ARN, ISSUER, "system:serviceaccount:a:b")))


def test_aws_workload_role_attachment_and_annotation(plan):
    result = plan(None, service_accounts=[AWS_SA])
    component = result.one("linking:workload:LinkedServiceAccount")
    assert component.name == "reports-exporter"
    role = result.one(ROLE)
    assert role.inputs["name"] == "linking-sa-reports-exporter" and role.inputs["path"] == "/linking-sa/"
    assert json.loads(role.inputs["assumeRolePolicy"]) == irsa_trust(PROVIDER_ARN, ISSUER, "system:serviceaccount:reports:exporter")
    assert role.inputs["tags"] == {"linking:workload": "reports/exporter", "linking:owner": "data@acme.example", "managed-by": "pulumi"}
    assert result.one(ATTACHMENT).inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonRoute53ReadOnlyAccess"
    metadata = ksa(result).inputs["metadata"]
    assert (metadata["name"], metadata["namespace"]) == ("exporter", "reports")
    assert metadata["annotations"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::123456789012:role/linking-sa/linking-sa-reports-exporter"
    assert result.outputs["serviceAccounts"] == [{
        "namespace": "reports", "name": "exporter", "cloud": "aws", "owner": "data@acme.example",
        "identity": "arn:aws:iam::123456789012:role/linking-sa/linking-sa-reports-exporter",
    }]


def test_aws_workload_creates_the_oidc_provider_when_not_given(plan):
    sa = copy.deepcopy(AWS_SA)
    del sa["aws"]["oidcProviderArn"]
    result = plan(None, service_accounts=[sa])
    provider = result.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == ISSUER and provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_inline_policy_file_becomes_a_role_policy(plan):
    (plan.project_root / "stacks" / "policies").mkdir(parents=True)
    shutil.copy(REPO / "stacks" / "policies" / "orders-worker.json", plan.project_root / "stacks" / "policies")
    sa = copy.deepcopy(AWS_SA)
    sa["aws"]["policyFile"] = "stacks/policies/orders-worker.json"
    policy = plan(None, service_accounts=[sa]).one("aws:iam/rolePolicy:RolePolicy")
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Sid"] == "ConsumeOrders"


def test_changing_the_policy_list_changes_only_the_attachments(plan):
    before = plan(None, service_accounts=[AWS_SA])
    sa = copy.deepcopy(AWS_SA)
    sa["aws"]["policyArns"] = ["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess", *AWS_SA["aws"]["policyArns"]]
    after = plan(None, service_accounts=[sa])
    assert before.one(ROLE).urn == after.one(ROLE).urn and before.one(ROLE).inputs == after.one(ROLE).inputs
    assert ksa(before).urn == ksa(after).urn
    kept = {r.urn for r in before.by_type(ATTACHMENT)}
    assert kept < {r.urn for r in after.by_type(ATTACHMENT)}
    assert {r.urn for r in after.resources} - {r.urn for r in before.resources} == {r.urn for r in after.by_type(ATTACHMENT)} - kept


# --- GCP and Azure -------------------------------------------------------------------------------------


def test_gcp_workload_identity(plan):
    result = plan(None, service_accounts=[GCP_SA])
    account = result.one(GSA)
    assert account.inputs["accountId"] == "wl-reports-exporter"
    (binding,) = [r for r in result.by_type(PROJECT_MEMBER)]
    assert binding.inputs == {"project": "acme-prod-1234", "role": "roles/storage.objectViewer",
                              "member": "serviceAccount:wl-reports-exporter@acme-prod-1234.iam.gserviceaccount.com"}
    user = result.one(SA_MEMBER)
    assert user.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert user.inputs["member"] == "serviceAccount:acme-prod-1234.svc.id.goog[reports/exporter]"
    assert user.inputs["serviceAccountId"].endswith("/serviceAccounts/wl-reports-exporter@acme-prod-1234.iam.gserviceaccount.com")
    annotations = ksa(result).inputs["metadata"]["annotations"]
    assert annotations["iam.gke.io/gcp-service-account"] == "wl-reports-exporter@acme-prod-1234.iam.gserviceaccount.com"


def test_gcp_role_list_change_keeps_account_and_other_bindings(plan):
    before = plan(None, service_accounts=[GCP_SA])
    sa = copy.deepcopy(GCP_SA)
    sa["gcp"]["roles"].append("projects/acme-prod-1234/roles/reportsWriter")
    after = plan(None, service_accounts=[sa])
    assert before.one(GSA).urn == after.one(GSA).urn
    assert {r.urn for r in before.by_type(PROJECT_MEMBER)} < {r.urn for r in after.by_type(PROJECT_MEMBER)}


def test_azure_workload_identity(plan):
    result = plan(None, service_accounts=[AZURE_SA])
    identity = result.one(IDENTITY)
    assert identity.inputs["resourceName"] == "linking-reports-exporter" and identity.inputs["resourceGroupName"] == "workloads"
    federated = result.one(FEDERATED)
    assert federated.inputs["issuer"] == "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/"
    assert federated.inputs["subject"] == "system:serviceaccount:reports:exporter"
    assert federated.inputs["audiences"] == ["api://AzureADTokenExchange"]
    assignment = result.one(ASSIGNMENT)
    assert assignment.inputs["roleDefinitionId"] == (
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    )
    assert assignment.inputs["principalType"] == "ServicePrincipal"
    metadata = ksa(result).inputs["metadata"]
    assert metadata["labels"]["azure.workload.identity/use"] == "true"
    assert metadata["annotations"]["azure.workload.identity/client-id"] == result.outputs["serviceAccounts"][0]["identity"]


def test_azure_assignment_list_change_keeps_identity(plan):
    before = plan(None, service_accounts=[AZURE_SA])
    sa = copy.deepcopy(AZURE_SA)
    sa["azure"]["roleAssignments"].append({"roleDefinitionId": "4633458b-17de-408a-b874-0445c86b69e6", "scope": f"/subscriptions/{SUBSCRIPTION}"})
    after = plan(None, service_accounts=[sa])
    assert before.one(IDENTITY).urn == after.one(IDENTITY).urn
    assert before.one(ASSIGNMENT).urn in {r.urn for r in after.by_type(ASSIGNMENT)}
    assert len(after.by_type(ASSIGNMENT)) == 2


# --- bad input -------------------------------------------------------------------------------------------


def _bad_policy(tmp_path: Path) -> str:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:::{{Queue}}"}]}))
    return path.name


BAD = [
    ("issuer not https", lambda s, t: [{**AWS_SA, "aws": {**AWS_SA["aws"], "oidcIssuer": "http://oidc.example"}}],
     "linking:serviceAccounts[0].aws.oidcIssuer", "https://"),
    ("namespace not DNS-1123", lambda s, t: [{**AWS_SA, "namespace": "Reports"}], "linking:serviceAccounts[0].namespace", "DNS-1123"),
    ("name not DNS-1123", lambda s, t: [{**AWS_SA, "name": "exporter_1"}], "linking:serviceAccounts[0].name", "DNS-1123"),
    ("policy ARN not an IAM policy", lambda s, t: [{**AWS_SA, "aws": {**AWS_SA["aws"], "policyArns": ["arn:aws:s3:::bucket"]}}],
     "linking:serviceAccounts[0].aws.policyArns[0]", "IAM managed policy ARN"),
    ("GCP role of a bad form", lambda s, t: [{**GCP_SA, "gcp": {"project": "acme-prod-1234", "roles": ["storage.objectViewer"]}}],
     "linking:serviceAccounts[0].gcp.roles[0]", "roles/<name>"),
    ("GCP basic role", lambda s, t: [{**GCP_SA, "gcp": {"project": "acme-prod-1234", "roles": ["roles/editor"]}}],
     "linking:serviceAccounts[0].gcp.roles[0]", "GCP001 forbids: basic role"),
    ("Azure scope outside /subscriptions", lambda s, t: [{**AZURE_SA, "azure": {**AZURE_SA["azure"], "roleAssignments": [{"roleDefinitionId": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", "scope": "/providers/Microsoft.Management/managementGroups/root"}]}}],
     "linking:serviceAccounts[0].azure.roleAssignments[0].scope", "/subscriptions/"),
    ("duplicate namespace/name", lambda s, t: [AWS_SA, {**GCP_SA}], "linking:serviceAccounts[1]", "not already used by entry [0]"),
    ("cloud section missing", lambda s, t: [{k: v for k, v in AWS_SA.items() if k != "aws"}], "linking:serviceAccounts[0].aws", "oidcIssuer"),
    ("two providers for one issuer", lambda s, t: [{**AWS_SA, "aws": {"oidcIssuer": ISSUER}}, {**AWS_SA, "name": "other", "aws": {"oidcIssuer": ISSUER}}],
     "linking:serviceAccounts[1].aws.oidcProviderArn", "one per issuer"),
    ("policy file with a placeholder", lambda s, t: [{**AWS_SA, "aws": {**AWS_SA["aws"], "policyFile": _bad_policy(t)}}],
     "linking:serviceAccounts[0].aws.policyFile", "no {{placeholders}}"),
]


@pytest.mark.parametrize("case,entries,key_path,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_input_stops_before_any_resource(link, plan, tmp_path, case, entries, key_path, expected):
    plan.expect_error(link, key_path, expected, service_accounts=entries(None, tmp_path))  # not even the link registers


def test_example_stack_shows_both_service_accounts_with_roles_trust_and_annotations():
    result = plan_stack_file(REPO / "stacks" / "Pulumi.eks-workloads-example.yaml")
    names = {r.name for r in result.by_type(KSA)}
    assert {"reports-exporter-service-account", "shop-orders-worker-service-account"} <= names
    roles = {r.inputs["name"]: json.loads(r.plain_input("assumeRolePolicy")) for r in result.by_type(ROLE)}
    assert set(roles) == {"linking-sa-reports-exporter", "linking-sa-shop-orders-worker"}
    subjects = {next(iter(v for k, v in r["Statement"][0]["Condition"]["StringEquals"].items() if k.endswith(":sub"))) for r in roles.values()}
    assert subjects == {"system:serviceaccount:reports:exporter", "system:serviceaccount:shop:orders-worker"}
    for resource in result.by_type(KSA):
        if resource.name != "acme-prod-eks-service-account":
            assert resource.inputs["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")


@pytest.mark.parametrize(("entry", "key", "rule"), [
    ({**AWS_SA, "aws": {**AWS_SA["aws"], "policyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}, "aws.policyArns[0]", "AWS008"),
    ({**AWS_SA, "aws": {**AWS_SA["aws"], "policyArns": ["arn:aws:iam::aws:policy/IAMFullAccess"]}}, "aws.policyArns[0]", "AWS006"),
    ({**GCP_SA, "gcp": {"project": "acme-prod-1234", "roles": ["roles/resourcemanager.projectIamAdmin"]}}, "gcp.roles[0]", "GCP002"),
    ({**GCP_SA, "gcp": {"project": "acme-prod-1234", "roles": ["roles/iam.serviceAccountTokenCreator"]}}, "gcp.roles[0]", "GCP002"),
    ({**AZURE_SA, "azure": {**AZURE_SA["azure"], "roleAssignments": [
        {"roleDefinitionId": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "scope": f"/subscriptions/{SUBSCRIPTION}"}]}},
     "azure.roleAssignments[0].roleDefinitionId", "AZ001"),
])
def test_a_workload_grant_goes_through_the_same_lint(entry, key, rule, plan):
    error = plan.expect_error(None, f"linking:serviceAccounts[0].{key}", f"{rule} forbids", service_accounts=[entry])
    assert rule in str(error)


def test_an_inline_workload_document_is_linted(plan):
    (plan.project_root / "admin.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    entry = {**AWS_SA, "aws": {**AWS_SA["aws"], "policyArns": [], "policyFile": "admin.json"}}
    plan.expect_error(None, "linking:serviceAccounts[0].aws.policyFile", "AWS004 forbids", service_accounts=[entry])

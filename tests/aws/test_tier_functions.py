"""The admin tier still does its job: it creates and operates owned resources with every permission the create,
update and delete really call, as CloudFormation's resource handlers list them (the registry schemas shipped in
cfn-lint, ``linking/catalogues/aws-cloudformation-handlers.json.gz``), not as we remember them.

Each permission of a handler is decided against the rendered admin document for the resource the handler works
on: named in the link's namespace (``acme-prod-app``); a tag action on the new resource, stamped and not yet
tagged (that is what a tag given at creation is); anything else on the new resource stamped, on the owned
resource, or as an inventory read or a placement. What no handler may do in this tier is listed with its reason.
"""

from __future__ import annotations

from functools import cache

import pytest


from linking.aws.catalogue import aws_cloudformation_handlers
from linking.policy import policy_docs_root
from linking.tags import OWNERSHIP_TAG

from .model import Principal, Request
from .test_tier_corpus import NAMES, WORKLOAD_ROLE, arn, document
from ..generators import generator

_tiers = generator("aws_tiers")
ServiceData, TierSource = _tiers.ServiceData, _tiers.TierSource

SOURCE = TierSource.load(policy_docs_root() / "aws", "admin")
PLACE = {"Partition": "aws", "Region": "eu-west-1", "Account": NAMES.account_id}
STAMPED = {f"aws:RequestTag/{OWNERSHIP_TAG}": NAMES.link_id, "aws:TagKeys": [OWNERSHIP_TAG]}
OWNED = {f"aws:ResourceTag/{OWNERSHIP_TAG}": NAMES.link_id}
AT_CREATE = {"ec2:CreateAction": "RunInstances", "elasticloadbalancing:CreateAction": "CreateLoadBalancer",
             "kms:GrantIsForAWSResource": "true"}

HANDLED = {
    # CloudFormation type: the service its roles are passed to
    "AWS::Lambda::Function": "lambda.amazonaws.com",
    "AWS::EKS::Cluster": "eks.amazonaws.com",
    "AWS::EKS::Nodegroup": "eks-nodegroup.amazonaws.com",
    "AWS::RDS::DBInstance": "rds.amazonaws.com",
    "AWS::ECR::Repository": "",
    "AWS::S3::Bucket": "",
    "AWS::EC2::Instance": "ec2.amazonaws.com",
    "AWS::DynamoDB::Table": "",
    "AWS::SQS::Queue": "",
    "AWS::SNS::Topic": "",
    "AWS::SecretsManager::Secret": "",
    "AWS::Logs::LogGroup": "",
    "AWS::SSM::Parameter": "",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "",
}
NOT_IN_THE_TIER = {
    "ec2:DescribeLaunchTemplateVersions": "returns every launch template's user data and has no resource to own: "
                                          "nodegroups and instances from launch templates need a custom tier",
    "iam:PassRole": "to S3 (replication, inventory) and other non-compute services: only compute services get roles",
    "iam:CreateServiceLinkedRole": "for services the tier does not provision (DynamoDB replication, EKS "
                                   "node groups' role is created by EKS itself once per account)",
}
"""Handler permissions the tier does not give, each for an optional feature, with the reason."""


@cache
def data() -> ServiceData:
    return ServiceData.of(SOURCE)


@cache
def admin() -> Principal:
    return Principal([document("admin")])


def _resource(service: str, resource_type: str | None) -> str:
    if resource_type is None:
        return "*"
    variable = data().name_variable(service, resource_type)
    return data().arn(service, resource_type, {**PLACE, **({variable: f"{NAMES.link_id}-app"} if variable else {})})


def allowed(permission: str, passed_to: str) -> bool | None:
    """Whether the admin tier allows the permission as a handler uses it; None outside the tier's services."""
    service, _, action = permission.partition(":")
    if permission == "iam:PassRole":
        return admin().decide(Request(permission, WORKLOAD_ROLE, {"iam:PassedToService": passed_to})) == "allow"
    if permission == "iam:CreateServiceLinkedRole":
        return admin().decide(Request(permission, "*", {"iam:AWSServiceName": passed_to})) == "allow"
    facts = {f.name.lower(): f for f in data().actions(service)} if service in SOURCE.services else {}
    if permission.lower() not in facts:
        return None
    name = facts[permission.lower()].name
    rows = data().details(service, name.split(":")[1]).get("resourceTypes", [])
    # a tag action stamps the new resource, or changes other tags of an owned one
    contexts = [STAMPED, {**OWNED, "aws:TagKeys": ["team"]}] if facts[permission.lower()].tagging else \
        [STAMPED, {**OWNED, **STAMPED}, OWNED, {}]

    def works_on(resource_type: str | None) -> bool:
        resource = _resource(service, resource_type)
        return any(admin().decide(Request(name, resource, {**AT_CREATE, **c})) == "allow" for c in contexts)

    required = [r["name"] for r in rows if r.get("required")]
    if required:
        return all(works_on(t) for t in required)
    # no type required: the handler's resource is one of the types the action may act on
    return any(works_on(r["name"]) for r in rows) if rows else works_on(None)


@pytest.mark.parametrize("handler", ["create", "update", "delete"])
@pytest.mark.parametrize("type_name", sorted(HANDLED))
def test_every_permission_a_cloudformation_handler_calls_is_allowed(type_name, handler):
    permissions = aws_cloudformation_handlers()[type_name].get(handler, [])
    denied = [p for p in permissions if allowed(p, HANDLED[type_name]) is False and p not in NOT_IN_THE_TIER]
    assert not denied, f"{type_name} {handler} needs {denied}"


def test_kms_keys_cannot_be_created_stamped_because_their_arn_has_no_name():
    """kms:CreateKey with tags needs kms:TagResource on the new key, which IAM cannot tell from stamping an
    untagged key someone else made; with no name to fence by, the default tier gives neither."""
    assert "kms:TagResource" in aws_cloudformation_handlers()["AWS::KMS::Key"]["create"]
    new_key = arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert admin().decide(Request("kms:TagResource", new_key, STAMPED)) != "allow"
    assert admin().decide(Request("kms:CreateKey", "*", STAMPED)) == "allow"


WORKLOADS_AND_UPDATES = [
    # what the issue names, beyond the handlers: updating code, pushing images, builds, objects, modifying a DB
    ("lambda:UpdateFunctionCode", arn("lambda", "function:acme-prod-app"), OWNED),
    ("lambda:UpdateFunctionConfiguration", arn("lambda", "function:acme-prod-app"), OWNED),
    ("ecr:GetAuthorizationToken", "*", {}),
    ("ecr:InitiateLayerUpload", arn("ecr", "repository/acme-prod-api"), OWNED),
    ("ecr:UploadLayerPart", arn("ecr", "repository/acme-prod-api"), OWNED),
    ("ecr:CompleteLayerUpload", arn("ecr", "repository/acme-prod-api"), OWNED),
    ("ecr:PutImage", arn("ecr", "repository/acme-prod-api"), OWNED),
    ("codebuild:CreateProject", arn("codebuild", "project/acme-prod-build"), STAMPED),
    ("codebuild:UpdateProject", arn("codebuild", "project/acme-prod-build"), OWNED),
    ("codebuild:StartBuild", arn("codebuild", "project/acme-prod-build"), OWNED),
    ("s3:PutObject", "arn:aws:s3:::acme-prod-assets/app.js", OWNED),
    ("s3:GetObject", "arn:aws:s3:::acme-prod-assets/app.js", OWNED),
    ("rds:ModifyDBInstance", arn("rds", "db:acme-prod-app"), OWNED),
    ("eks:CreateNodegroup", arn("eks", "cluster/acme-prod-main"), OWNED),
    ("ec2:RunInstances", arn("ec2", "instance/i-0123"), STAMPED),
]


@pytest.mark.parametrize("action,resource,context", WORKLOADS_AND_UPDATES)
def test_the_control_plane_updates_and_runs_what_it_owns(action, resource, context):
    assert admin().decide(Request(action, resource, context)) == "allow"

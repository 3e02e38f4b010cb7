"""What the AWS tiers promise, decided request by request against the rendered documents.

Each line of the README's AWS section has requests here: the escalation, data,
persistence and audit paths an independent review found (denied unless the
resource is owned) and what the control plane must still do (allowed). The
evaluation is ``tests/aws/model.py``: explicit deny, permissions boundary and
every condition operator the documents use.
"""

from __future__ import annotations

import pytest

from linking.aws import AwsNames, render_policy
from linking.tags import OWNERSHIP_TAG
from linking.policy import builtin_document_path

from .model import Request, decide

NAMES = AwsNames("acme-prod", "123456789012", "aws")
A = "arn:aws:{service}:eu-west-1:123456789012:{rest}"
OWNED = {f"aws:ResourceTag/{OWNERSHIP_TAG}": "acme-prod"}
OTHER_LINK = {f"aws:ResourceTag/{OWNERSHIP_TAG}": "someone-else"}
STAMPED = {f"aws:RequestTag/{OWNERSHIP_TAG}": "acme-prod", "aws:TagKeys": [OWNERSHIP_TAG]}
UNOWNED: dict = {}
WORKLOAD_ROLE = "arn:aws:iam::123456789012:role/linking-workloads/acme-prod/app"
ADMINISTRATOR_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def arn(service: str, rest: str) -> str:
    return A.format(service=service, rest=rest)


def document(name: str) -> dict:
    return render_policy(builtin_document_path("aws", name), NAMES, name).document


def verdict(tier: str, request: Request) -> str:
    if tier == "workload":
        # The worst case: the control plane attached AdministratorAccess to a role it created; the boundary decides.
        return decide(request, [ADMINISTRATOR_ACCESS], document("workload-boundary"))
    return decide(request, [document(tier)])


def ctx(*parts: dict) -> dict:
    merged: dict = {}
    for part in parts:
        merged.update(part)
    return merged


def req(action: str, resource: str = "*", context: dict | None = None) -> Request:
    return Request(action, resource, context or {})


FUNCTION = arn("lambda", "function:prod-api")
INSTANCE = arn("ec2", "instance/i-0123456789abcdef0")
VOLUME = arn("ec2", "volume/vol-0123")
SNAPSHOT = "arn:aws:ec2:eu-west-1::snapshot/snap-0123"
ENI = arn("ec2", "network-interface/eni-0123")
TEMPLATE = arn("ec2", "launch-template/lt-0123")
REPOSITORY = arn("ecr", "repository/prod")
CLUSTER = arn("eks", "cluster/prod")
BUCKET = "arn:aws:s3:::prod-data"
OBJECT = "arn:aws:s3:::prod-data/customers.csv"
TRAIL_BUCKET = "arn:aws:s3:::acme-cloudtrail"
SECRET = arn("secretsmanager", "secret:db-password-AbCdEf")
KEY = arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")
TABLE = arn("dynamodb", "table/orders")
QUEUE = arn("sqs", "orders")
TOPIC = arn("sns", "alerts")
LOG_GROUP = arn("logs", "log-group:/aws/prod:*")
PARAMETER = arn("ssm", "parameter/prod/db-password")
DB = arn("rds", "db:prod")
DB_SNAPSHOT = arn("rds", "snapshot:prod-nightly")
PROJECT = arn("codebuild", "project/deploy")
STREAM = arn("kinesis", "stream/clicks")
FLOW_LOG = arn("ec2", "vpc-flow-log/fl-0123")
GITHUB_OIDC = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
PUBLIC_AMI = "arn:aws:ec2:eu-west-1::image/ami-0abcdef"
SUBNET = arn("ec2", "subnet/subnet-0123")
LINK_ROLE = "arn:aws:iam::123456789012:role/linking/linking-acme-prod"

DENIED_UNLESS_OWNED = [
    # running code as roles that already exist
    ("lambda:UpdateFunctionCode", FUNCTION),
    ("lambda:UpdateFunctionConfiguration", FUNCTION),
    ("codebuild:StartBuild", PROJECT),
    ("ec2:ModifyInstanceAttribute", INSTANCE),
    ("ec2:StopInstances", INSTANCE),
    ("ec2:StartInstances", INSTANCE),
    ("ec2:CreateLaunchTemplateVersion", TEMPLATE),
    ("ec2:ModifyLaunchTemplate", TEMPLATE),
    ("ecr:PutImage", REPOSITORY),
    ("eks:CreateAccessEntry", CLUSTER),
    ("eks:AssociateAccessPolicy", CLUSTER),
    # reading data by writing resource policies or copies
    ("s3:PutBucketPolicy", BUCKET),
    ("s3:PutBucketAcl", BUCKET),
    ("s3:PutBucketPublicAccessBlock", BUCKET),
    ("secretsmanager:PutResourcePolicy", SECRET),
    ("kms:PutKeyPolicy", KEY),
    ("dynamodb:PutResourcePolicy", TABLE),
    ("sqs:SetQueueAttributes", QUEUE),
    ("sqs:AddPermission", QUEUE),
    ("sns:Subscribe", TOPIC),
    ("logs:PutSubscriptionFilter", LOG_GROUP),
    ("ec2:CreateSnapshot", VOLUME),
    ("ec2:ModifySnapshotAttribute", SNAPSHOT),
    ("rds:ModifyDBInstance", DB),
    ("rds:ModifyDBSnapshotAttribute", DB_SNAPSHOT),
    ("ecr:BatchGetImage", REPOSITORY),
    # data reads
    ("s3:GetObject", OBJECT),
    ("secretsmanager:GetSecretValue", SECRET),
    ("ssm:GetParameter", PARAMETER),
    ("kms:Decrypt", KEY),
    ("dynamodb:Scan", TABLE),
    ("sqs:ReceiveMessage", QUEUE),
    ("logs:GetLogEvents", LOG_GROUP),
    ("ec2:GetPasswordData", INSTANCE),
    ("ec2:CreateInstanceExportTask", INSTANCE),
    # persistence
    ("iam:DeleteOpenIDConnectProvider", GITHUB_OIDC),
    ("iam:UpdateOpenIDConnectProviderThumbprint", GITHUB_OIDC),
    ("iam:AddClientIDToOpenIDConnectProvider", GITHUB_OIDC),
    # audit
    ("logs:DeleteLogGroup", LOG_GROUP),
    ("logs:PutRetentionPolicy", LOG_GROUP),
    ("s3:DeleteObject", TRAIL_BUCKET + "/AWSLogs/123456789012/CloudTrail/x.json.gz"),
    ("s3:PutLifecycleConfiguration", TRAIL_BUCKET),
    ("ec2:DeleteFlowLogs", FLOW_LOG),
    ("kms:ScheduleKeyDeletion", KEY),
    ("ssm:SendCommand", INSTANCE),
]


@pytest.mark.parametrize("action,resource", DENIED_UNLESS_OWNED)
def test_admin_cannot_touch_what_it_does_not_own(action, resource):
    assert verdict("admin", req(action, resource)) != "allow"
    assert verdict("admin", req(action, resource, OTHER_LINK)) != "allow"


@pytest.mark.parametrize("action,resource", [(a, r) for a, r in DENIED_UNLESS_OWNED if not a.startswith("iam:")])
def test_admin_operates_what_it_owns(action, resource):
    # a create (a snapshot of an owned volume) stamps what it makes
    context = ctx(OWNED, STAMPED) if action == "ec2:CreateSnapshot" else OWNED
    assert verdict("admin", req(action, resource, context)) == "allow", action


STAMPED_CANNOT_REACH_EXISTING = [
    # aws:RequestTag holds for the whole request: a stamped create must not reach an existing, unowned resource
    ("ec2:CreateSnapshot", VOLUME),
    ("ec2:CreateTrafficMirrorSession", ENI),
    ("ec2:CreateImage", INSTANCE),
    ("ec2:CreateVolume", SNAPSHOT),
    ("rds:CreateDBInstanceReadReplica", DB),
    ("rds:RestoreDBInstanceFromDBSnapshot", DB_SNAPSHOT),
    ("s3:CreateAccessPoint", BUCKET),
    ("ec2:CopySnapshot", SNAPSHOT),
    ("rds:CreateDBSnapshot", DB),
    ("rds:CopyDBSnapshot", DB_SNAPSHOT),
    ("rds:CreateIntegration", arn("rds", "cluster:prod")),
    ("elasticloadbalancing:CreateListener", arn("elasticloadbalancing", "loadbalancer/app/prod/0123")),
]


@pytest.mark.parametrize("action,resource", STAMPED_CANNOT_REACH_EXISTING)
def test_a_stamped_create_cannot_copy_or_attach_to_an_existing_resource(action, resource):
    assert verdict("admin", req(action, resource, STAMPED)) != "allow"


CONTROL_PLANE_STILL_DOES = [
    ("eks:CreateCluster", "*", STAMPED),
    ("eks:CreateAccessEntry", CLUSTER, OWNED),
    ("eks:UpdateClusterConfig", CLUSTER, OWNED),
    ("eks:DeleteCluster", CLUSTER, OWNED),
    ("rds:CreateDBInstance", arn("rds", "db:acme-prod-app"), STAMPED),
    ("rds:CreateDBInstance", arn("rds", "subgrp:default"), UNOWNED),
    ("rds:CreateDBInstance", arn("rds", "pg:default.postgres16"), UNOWNED),
    ("rds:DeleteDBInstance", DB, OWNED),
    ("s3:CreateBucket", "arn:aws:s3:::acme-prod-assets", STAMPED),
    ("s3:TagResource", "arn:aws:s3:::acme-prod-assets", STAMPED),
    ("s3:PutBucketAbac", "arn:aws:s3:::acme-prod-assets", UNOWNED),
    ("s3:PutObject", "arn:aws:s3:::acme-prod-assets/index.html", OWNED),
    ("lambda:CreateFunction", arn("lambda", "function:acme-prod-app"), STAMPED),
    ("lambda:TagResource", arn("lambda", "function:acme-prod-app"), STAMPED),
    ("lambda:CreateEventSourceMapping", "*", ctx(STAMPED, {"lambda:FunctionArn": arn("lambda", "function:acme-prod-app")})),
    ("lambda:InvokeFunction", FUNCTION, OWNED),
    ("iam:CreateRole", WORKLOAD_ROLE, {"iam:PermissionsBoundary": NAMES.boundary_policy_arn}),
    ("iam:PassRole", WORKLOAD_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}),
    ("iam:PassRole", WORKLOAD_ROLE, {"iam:PassedToService": "eks.amazonaws.com"}),
    ("ec2:RunInstances", arn("ec2", "instance/*"), STAMPED),
    ("ec2:RunInstances", arn("ec2", "volume/*"), STAMPED),
    ("ec2:RunInstances", PUBLIC_AMI, {"ec2:Owner": "amazon"}),
    ("ec2:RunInstances", SUBNET, UNOWNED),
    ("ec2:CreateTags", arn("ec2", "instance/*"), ctx(STAMPED, {"ec2:CreateAction": "RunInstances"})),
    ("ec2:TerminateInstances", INSTANCE, OWNED),
    ("ec2:DescribeInstances", "*", UNOWNED),
    ("ec2:CreateSnapshot", SNAPSHOT, STAMPED),
    ("ec2:CreateSnapshot", VOLUME, OWNED),
    ("kms:CreateKey", "*", STAMPED),
    ("kms:CreateGrant", KEY, ctx(OWNED, {"kms:GrantIsForAWSResource": "true"})),
    ("kms:TagResource", KEY, {"aws:TagKeys": ["team"], **OWNED}),
    ("secretsmanager:CreateSecret", arn("secretsmanager", "secret:acme-prod-db-AbCdEf"), STAMPED),
    ("secretsmanager:TagResource", arn("secretsmanager", "secret:acme-prod-db-AbCdEf"), STAMPED),
    ("secretsmanager:GetSecretValue", SECRET, OWNED),
    ("iam:CreateOpenIDConnectProvider", "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X", UNOWNED),
    ("ecr:GetAuthorizationToken", "*", UNOWNED),
    ("ecr:CreateRepository", arn("ecr", "repository/acme-prod-api"), STAMPED),
    ("route53:ListResourceRecordSets", "arn:aws:route53:::hostedzone/Z0123", UNOWNED),
    ("iam:PassRole", WORKLOAD_ROLE, {"iam:PassedToService": "codebuild.amazonaws.com"}),
]


@pytest.mark.parametrize("action,resource,context", CONTROL_PLANE_STILL_DOES)
def test_the_control_plane_still_creates_and_operates_owned_resources(action, resource, context):
    assert verdict("admin", req(action, resource, context)) == "allow"


NEVER_ALLOWED = [
    ("ec2:DescribeLaunchTemplateVersions", "*", UNOWNED),
    ("ec2:GetLaunchTemplateData", INSTANCE, OWNED),
    ("autoscaling:DescribeLaunchConfigurations", "*", UNOWNED),
    ("ec2:DescribeSpotFleetRequests", "*", UNOWNED),
    ("iam:PassRole", WORKLOAD_ROLE, {"iam:PassedToService": "ssm.amazonaws.com"}),
    ("iam:PassRole", "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole", {"iam:PassedToService": "lambda.amazonaws.com"}),
    ("iam:CreateRole", WORKLOAD_ROLE, {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ("iam:CreateRole", WORKLOAD_ROLE, UNOWNED),
    ("iam:DeleteRolePermissionsBoundary", WORKLOAD_ROLE, UNOWNED),
    ("iam:CreatePolicyVersion", NAMES.boundary_policy_arn, UNOWNED),
    ("iam:UpdateAssumeRolePolicy", LINK_ROLE, UNOWNED),
    ("iam:AttachRolePolicy", LINK_ROLE, {"iam:PermissionsBoundary": NAMES.boundary_policy_arn}),
    ("iam:CreateUser", "*", UNOWNED),
    ("iam:CreateAccessKey", "*", UNOWNED),
    ("organizations:LeaveOrganization", "*", UNOWNED),
    ("cloudtrail:StopLogging", arn("cloudtrail", "trail/org"), UNOWNED),
    ("cloudtrail:DeleteTrail", arn("cloudtrail", "trail/org"), UNOWNED),
    ("config:StopConfigurationRecorder", "*", UNOWNED),
    ("s3:PutAccountPublicAccessBlock", "*", UNOWNED),
    ("s3:CreateAccessGrant", arn("s3", "access-grants/default/grant/*"), STAMPED),
    ("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z0123", UNOWNED),
    ("kms:CreateGrant", KEY, OWNED),
    ("kms:CreateKey", "*", UNOWNED),
    ("lambda:CreateFunction", arn("lambda", "function:app"), UNOWNED),
    ("lambda:CreateFunction", arn("lambda", "function:app"), {f"aws:RequestTag/{OWNERSHIP_TAG}": "someone-else"}),
    # the ownership tag cannot be moved
    ("ec2:CreateTags", INSTANCE, STAMPED),
    ("ec2:CreateTags", INSTANCE, ctx(OTHER_LINK, STAMPED)),
    ("ec2:DeleteTags", INSTANCE, ctx(OWNED, {"aws:TagKeys": [OWNERSHIP_TAG]})),
    ("kms:TagResource", KEY, ctx(OTHER_LINK, STAMPED)),
    ("kms:UntagResource", KEY, ctx(OWNED, {"aws:TagKeys": [OWNERSHIP_TAG]})),
    ("rds:AddTagsToResource", DB, ctx(OTHER_LINK, STAMPED)),
    ("iam:TagOpenIDConnectProvider", GITHUB_OIDC, STAMPED),
    ("iam:DeleteOpenIDConnectProvider", GITHUB_OIDC, OWNED),
    ("iam:UntagOpenIDConnectProvider", GITHUB_OIDC, ctx(OWNED, {"aws:TagKeys": [OWNERSHIP_TAG]})),
]


@pytest.mark.parametrize("action,resource,context", NEVER_ALLOWED)
def test_admin_never_allows(action, resource, context):
    assert verdict("admin", req(action, resource, context)) != "allow"


THE_AUDITS_CHAINS = [
    # updates treated as creates: a request tag on an update re-tags what exists
    ("codebuild:UpdateProject", PROJECT, STAMPED),
    ("codebuild:UpdateProject", arn("codebuild", "project/acme-prod-deploy"), ctx({f"aws:ResourceTag/{OWNERSHIP_TAG}": "none"}, STAMPED)),
    ("codebuild:UpdateProjectVisibility", PROJECT, STAMPED),
    ("codebuild:UpdateFleet", arn("codebuild", "fleet/prod:0123"), STAMPED),
    ("codebuild:UpdateReportGroup", arn("codebuild", "report-group/prod"), STAMPED),
    ("eks:CreateAccessEntry", CLUSTER, STAMPED),
    ("eks:AssociateAccessPolicy", CLUSTER, STAMPED),
    ("elasticloadbalancing:CreateRule", arn("elasticloadbalancing", "listener/app/prod/0123/4567"), STAMPED),
    ("cloudwatch:PutMetricAlarm", arn("cloudwatch", "alarm:prod-cpu"), STAMPED),
    ("lambda:CreateEventSourceMapping", "*", ctx(STAMPED, {"lambda:FunctionArn": FUNCTION})),
    # creates whose source is unowned
    ("rds:RestoreDBInstanceToPointInTime", DB, STAMPED),
    ("rds:RestoreDBInstanceToPointInTime", arn("rds", "db:acme-prod-copy"), STAMPED),
    ("rds:RestoreDBClusterToPointInTime", arn("rds", "cluster:prod"), STAMPED),
    ("rds:RestoreDBClusterToPointInTime", arn("rds", "cluster:acme-prod-copy"), STAMPED),
    ("rds:RestoreDBInstanceFromDBSnapshot", arn("rds", "db:acme-prod-copy"), STAMPED),
    # claims: stamping what exists
    ("rds:AddTagsToResource", DB, STAMPED),
    ("lambda:TagResource", FUNCTION, STAMPED),
    ("kms:TagResource", KEY, STAMPED),
    ("secretsmanager:TagResource", SECRET, STAMPED),
    ("ssm:AddTagsToResource", PARAMETER, STAMPED),
    ("dynamodb:TagResource", TABLE, STAMPED),
    ("ecr:TagResource", REPOSITORY, STAMPED),
    ("logs:TagResource", LOG_GROUP, STAMPED),
    ("s3:TagResource", BUCKET, STAMPED),
    ("s3:PutBucketTagging", BUCKET, STAMPED),
    ("s3:PutBucketTagging", "arn:aws:s3:::acme-prod-assets", ctx({f"aws:ResourceTag/{OWNERSHIP_TAG}": "none"}, STAMPED)),
    # S3 with ABAC off: no aws:ResourceTag, so a bucket tagged none is only its name
    ("s3:PutBucketAbac", BUCKET, UNOWNED),
    # references that are not placement
    ("ec2:AuthorizeSecurityGroupIngress", arn("ec2", "security-group/sg-0123"), STAMPED),
    ("ec2:CreateFlowLogs", SUBNET, STAMPED),
    ("ec2:CreateTransitGatewayVpcAttachment", arn("ec2", "vpc/vpc-0123"), STAMPED),
]


GROUP = arn("autoscaling", "autoScalingGroup:0123:autoScalingGroupName/acme-prod-web")
ALARM = arn("cloudwatch", "alarm:acme-prod-cpu")
OWNED_STAMPED = ctx(OWNED, STAMPED)
THE_RED_TEAMS_CHAINS = [
    # a group's tags propagate onto attached instances: a claim of any instance
    ("admin", "autoscaling:AttachInstances", GROUP, OWNED),
    # a group from another team's launch configuration runs as its instance profile
    ("admin", "autoscaling:CreateAutoScalingGroup", GROUP, ctx(STAMPED, {"autoscaling:LaunchConfigurationName": "prod-admin-lc"})),
    ("admin", "autoscaling:UpdateAutoScalingGroup", GROUP, ctx(OWNED, {"autoscaling:LaunchConfigurationName": "prod-admin-lc"})),
    # another team's load balancer sending its users' traffic to the link's instances
    ("admin", "autoscaling:AttachLoadBalancerTargetGroups", GROUP,
     ctx(OWNED, {"autoscaling:TargetGroupARNs": [arn("elasticloadbalancing", "targetgroup/prod-web/0123")]})),
    ("admin", "autoscaling:AttachLoadBalancers", GROUP, ctx(OWNED, {"autoscaling:LoadBalancerNames": ["prod-web"]})),
    # maintenance windows and associations run documents on instances IAM does not authorize one by one
    ("admin", "ssm:CreateMaintenanceWindow", "*", STAMPED),
    ("admin", "ssm:CreateAssociation", arn("ssm", "association/*"), STAMPED),
    # alarm actions stop, terminate or reboot any instance
    ("admin", "cloudwatch:PutMetricAlarm", ALARM, ctx(STAMPED, {"cloudwatch:AlarmActions": ["arn:aws:automate:eu-west-1:ec2:terminate"]})),
    ("admin", "cloudwatch:PutMetricAlarm", ALARM, ctx(OWNED, {"cloudwatch:AlarmActions": [arn("sns", "acme-prod-pager"), "arn:aws:automate:eu-west-1:ec2:stop"]})),
    ("workload", "cloudwatch:PutMetricAlarm", ALARM, ctx(OWNED, {"cloudwatch:AlarmActions": ["arn:aws:automate:eu-west-1:ec2:reboot"]})),
    ("workload", "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "Prod/Orders"}),
    # secrets through inventory
    ("admin", "ec2:DescribeVpnConnections", "*", UNOWNED),
    ("admin", "ec2:GetVpnConnectionDeviceSampleConfiguration", arn("ec2", "vpn-connection/vpn-0123"), UNOWNED),
    ("admin", "ssm:GetCommandInvocation", "*", UNOWNED),
    ("admin", "ssm:ListCommandInvocations", "*", UNOWNED),
    ("admin", "lambda:ListFunctions", "*", UNOWNED),
    ("workload", "ec2:DescribeInstanceAttribute", INSTANCE, UNOWNED),
    ("workload", "lambda:ListVersionsByFunction", FUNCTION, UNOWNED),
    # the ownership key in another case, or removed without naming it
    ("admin", "lambda:TagResource", arn("lambda", "function:acme-prod-app"), ctx(OWNED, {"aws:RequestTag/Linking:Owned-By": "someone-else", "aws:TagKeys": ["Linking:Owned-By"]})),
    ("admin", "ec2:CreateTags", INSTANCE, ctx(OWNED, {"aws:TagKeys": ["LINKING:OWNED-BY"]})),
    ("admin", "ec2:DeleteTags", INSTANCE, OWNED),
    ("workload", "ec2:DeleteTags", INSTANCE, OWNED),
    ("admin", "s3:PutBucketTagging", "arn:aws:s3:::acme-prod-assets", OWNED),
    # a secret named exactly like the link matches <link id>-* through its random suffix
    ("admin", "secretsmanager:TagResource", arn("secretsmanager", "secret:acme-prod-AbCdEf"), STAMPED),
    # re-routing a subnet through the link's route table
    ("admin", "ec2:ReplaceRouteTableAssociation", arn("ec2", "route-table/rtb-0123"), OWNED),
    # round two: parameters that name what IAM does not authorize
    ("admin", "cloudwatch:PutInsightRule", arn("cloudwatch", "insight-rule/acme-prod-users"),
     ctx(STAMPED, {"cloudwatch:requestInsightRuleLogGroups": ["/aws/lambda/prod-api"]})),
    ("workload", "cloudwatch:PutInsightRule", arn("cloudwatch", "insight-rule/acme-prod-users"),
     ctx(OWNED, {"cloudwatch:requestInsightRuleLogGroups": ["acme-prod-app", "prod-api"]})),
    ("admin", "cloudwatch:PutLogAlarm", ALARM, ctx(OWNED, {"cloudwatch:AlarmActions": ["arn:aws:automate:eu-west-1:ec2:stop"]})),
    ("admin", "ssm:RegisterDefaultPatchBaseline", arn("ssm", "patchbaseline/pb-0123"), OWNED),
    ("workload", "ssm:RegisterPatchBaselineForPatchGroup", arn("ssm", "patchbaseline/pb-0123"), OWNED),
    ("admin", "secretsmanager:RotateSecret", arn("secretsmanager", "secret:acme-prod-db-AbCdEf"),
     ctx(OWNED, {"secretsmanager:RotationLambdaARN": arn("lambda", "function:prod-rotator")})),
    ("admin", "ec2:AssignPrivateIpAddresses", ENI, OWNED),
    ("admin", "sqs:StartMessageMoveTask", arn("sqs", "acme-prod-dlq"), OWNED),
    ("admin", "ec2:CreateVpcEndpointServiceConfiguration", arn("ec2", "vpc-endpoint-service/*"), STAMPED),
    ("admin", "ec2:AssociateInstanceEventWindow", arn("ec2", "instance-event-window/iew-0123"), OWNED),
    ("admin", "codebuild:CreateProject", arn("codebuild", "project/acme-prod-build"),
     ctx(STAMPED, {"codebuild:source.location": "https://github.com/acme/payments"})),
    ("admin", "codebuild:CreateFleet", arn("codebuild", "fleet/acme-prod-fleet:0123"), ctx(STAMPED, {"codebuild:imageId": "ami-0123"})),
    ("admin", "sns:ListEndpointsByPlatformApplication", arn("sns", "app/GCM/prod"), UNOWNED),
    ("admin", "ssm:GetMaintenanceWindowExecutionTask", "*", UNOWNED),
    ("workload", "ec2:DescribeConversionTasks", "*", UNOWNED),
    # another team's private AMI holds its disks
    ("admin", "ec2:RunInstances", PUBLIC_AMI, ctx(STAMPED, {"ec2:Owner": "123456789012", "ec2:Public": "false"})),
    ("admin", "ec2:RunInstances", PUBLIC_AMI, ctx(STAMPED, {"ec2:Owner": "210987654321", "ec2:Public": "true"})),
]


@pytest.mark.parametrize("tier,action,resource,context", THE_RED_TEAMS_CHAINS)
def test_the_red_teams_chains_are_denied(tier, action, resource, context):
    assert verdict(tier, req(action, resource, context)) != "allow"


@pytest.mark.parametrize("tier,action,resource,context", [
    ("admin", "autoscaling:CreateAutoScalingGroup", GROUP,
     ctx(STAMPED, {"autoscaling:TargetGroupARNs": [arn("elasticloadbalancing", "targetgroup/acme-prod-web/0123")]})),
    ("admin", "cloudwatch:PutMetricAlarm", ALARM, ctx(STAMPED, {"cloudwatch:AlarmActions": [arn("sns", "acme-prod-pager")]})),
    ("admin", "ec2:DeleteTags", INSTANCE, ctx(OWNED, {"aws:TagKeys": ["team"]})),
    ("admin", "secretsmanager:TagResource", arn("secretsmanager", "secret:acme-prod-db-AbCdEf"), STAMPED),
    ("admin", "ec2:RunInstances", PUBLIC_AMI, ctx(STAMPED, {"ec2:Owner": "aws-marketplace", "ec2:Public": "true"})),
    ("admin", "ec2:RunInstances", arn("ec2", "image/ami-0123"), OWNED_STAMPED),
    ("admin", "cloudwatch:PutInsightRule", arn("cloudwatch", "insight-rule/acme-prod-users"),
     ctx(STAMPED, {"cloudwatch:requestInsightRuleLogGroups": ["acme-prod-app"]})),
    ("admin", "secretsmanager:RotateSecret", arn("secretsmanager", "secret:acme-prod-db-AbCdEf"),
     ctx(OWNED, {"secretsmanager:RotationLambdaARN": arn("lambda", "function:acme-prod-rotator")})),
    ("admin", "codebuild:CreateProject", arn("codebuild", "project/acme-prod-build"),
     ctx(STAMPED, {"codebuild:source.location": "https://github.com/acme/payments", "codebuild:source.auth.type": "CODECONNECTIONS"})),
    ("admin", "codebuild:CreateProject", arn("codebuild", "project/acme-prod-build"),
     ctx(STAMPED, {"codebuild:source.location": "acme-prod-sources/app.zip"})),
])
def test_what_the_red_teams_fixes_still_allow(tier, action, resource, context):
    assert verdict(tier, req(action, resource, context)) == "allow"


@pytest.mark.parametrize("action,resource,context", THE_AUDITS_CHAINS)
def test_the_audits_chains_are_denied(action, resource, context):
    assert verdict("admin", req(action, resource, context)) != "allow"


def test_an_untagged_resource_in_the_links_namespace_may_be_stamped_and_nothing_else_can():
    """Services that authorize tags given at creation through their tag action: only the link's names, untagged."""
    namespaced = arn("rds", "db:acme-prod-app")
    assert verdict("admin", req("rds:AddTagsToResource", namespaced, STAMPED)) == "allow"
    assert verdict("admin", req("rds:AddTagsToResource", namespaced, ctx(OTHER_LINK, STAMPED))) != "allow"
    assert verdict("admin", req("rds:AddTagsToResource", DB, STAMPED)) != "allow"
    assert verdict("workload", req("rds:AddTagsToResource", namespaced, STAMPED)) != "allow"


WORKLOAD_DENIED_UNLESS_OWNED = [
    ("s3:GetObject", OBJECT),
    ("secretsmanager:GetSecretValue", SECRET),
    ("ssm:GetParameter", PARAMETER),
    ("kms:Decrypt", KEY),
    ("dynamodb:Scan", TABLE),
    ("dynamodb:GetItem", TABLE),
    ("sqs:ReceiveMessage", QUEUE),
    ("kinesis:GetRecords", STREAM),
    ("lambda:UpdateFunctionCode", FUNCTION),
    ("ec2:GetPasswordData", INSTANCE),
    ("ecr:BatchGetImage", REPOSITORY),
    ("logs:PutSubscriptionFilter", LOG_GROUP),
    ("s3:PutBucketPolicy", BUCKET),
]


@pytest.mark.parametrize("action,resource", WORKLOAD_DENIED_UNLESS_OWNED)
def test_workload_roles_reach_data_only_on_owned_resources(action, resource):
    assert verdict("workload", req(action, resource)) != "allow"
    assert verdict("workload", req(action, resource, OWNED)) == "allow"


WORKLOAD_NEVER = [
    ("eks:CreateAccessEntry", CLUSTER, OWNED),
    ("eks:AssociateAccessPolicy", CLUSTER, OWNED),
    ("s3:PutAccountPublicAccessBlock", "*", UNOWNED),
    ("kms:CreateGrant", KEY, OWNED),
    ("iam:CreateRole", WORKLOAD_ROLE, {"iam:PermissionsBoundary": NAMES.boundary_policy_arn}),
    ("iam:PassRole", WORKLOAD_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}),
    ("iam:CreateOpenIDConnectProvider", GITHUB_OIDC, STAMPED),
    ("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z0123", UNOWNED),
    ("ec2:DescribeLaunchTemplateVersions", "*", UNOWNED),
    ("lambda:CreateFunction", arn("lambda", "function:x"), STAMPED),
    ("kms:TagResource", KEY, STAMPED),
    ("ec2:CreateTags", INSTANCE, STAMPED),
    ("s3:PutBucketTagging", BUCKET, STAMPED),
    ("cloudtrail:StopLogging", arn("cloudtrail", "trail/org"), UNOWNED),
]


@pytest.mark.parametrize("action,resource,context", WORKLOAD_NEVER)
def test_workload_roles_never(action, resource, context):
    assert verdict("workload", req(action, resource, context)) != "allow"


WORKLOAD_STILL_DOES = [
    ("sqs:SendMessage", QUEUE, OWNED),
    ("logs:PutLogEvents", LOG_GROUP, OWNED),
    ("xray:PutTraceSegments", "*", UNOWNED),
    ("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "acme-prod/orders"}),
    ("ec2:DescribeInstances", "*", UNOWNED),
    ("ecr:GetAuthorizationToken", "*", UNOWNED),
    ("kms:CreateGrant", KEY, ctx(OWNED, {"kms:GrantIsForAWSResource": "true"})),
]


@pytest.mark.parametrize("action,resource,context", WORKLOAD_STILL_DOES)
def test_workload_roles_still_work(action, resource, context):
    assert verdict("workload", req(action, resource, context)) == "allow"


def test_the_boundary_denies_whatever_the_admin_tier_denies_itself():
    admin = document("admin")
    for statement in admin["Statement"]:
        if statement["Effect"] != "Deny" or any(a.startswith("iam:") for a in statement["Action"]):
            continue
        for action in statement["Action"]:
            for context in (UNOWNED, OWNED, ctx(OWNED, {"aws:TagKeys": [OWNERSHIP_TAG]})):
                if verdict("admin", req(action, INSTANCE, context)) == "explicit deny":
                    assert verdict("workload", req(action, INSTANCE, context)) != "allow", (action, context)


READONLY_DENIED = [
    ("s3:GetObject", OBJECT),
    ("secretsmanager:GetSecretValue", SECRET),
    ("ssm:GetParameter", PARAMETER),
    ("kms:Decrypt", KEY),
    ("dynamodb:GetItem", TABLE),
    ("sqs:ReceiveMessage", QUEUE),
    ("logs:GetLogEvents", LOG_GROUP),
    ("ec2:DescribeInstanceAttribute", INSTANCE),
    ("ec2:DescribeLaunchTemplateVersions", "*"),
    ("ec2:GetLaunchTemplateData", INSTANCE),
    ("ec2:DescribeSpotFleetRequests", "*"),
    ("ec2:DescribeSpotInstanceRequests", "*"),
    ("autoscaling:DescribeLaunchConfigurations", "*"),
    ("ec2:GetPasswordData", INSTANCE),
    ("ecr:BatchGetImage", REPOSITORY),
    ("cloudformation:GetTemplate", "*"),
    # configuration customers write free-form, where secrets end up (the audit's list)
    ("ecs:DescribeTaskDefinition", "*"),
    ("batch:DescribeJobDefinitions", "*"),
    ("elasticbeanstalk:DescribeConfigurationSettings", arn("elasticbeanstalk", "configurationtemplate/app/t")),
    ("codebuild:BatchGetProjects", PROJECT),
    ("cloudformation:DescribeStacks", arn("cloudformation", "stack/prod/0123")),
    ("ssm:GetAutomationExecution", arn("ssm", "automation-execution/0123")),
    ("ssm:GetCommandInvocation", "*"),
    ("config:SelectResourceConfig", "*"),
    ("apigateway:GET", "arn:aws:apigateway:eu-west-1::/apikeys/abc123"),
    ("apigateway:GET", "arn:aws:apigateway:eu-west-1::/usageplans/u1/keys/k1"),
]


@pytest.mark.parametrize("action,resource", READONLY_DENIED)
def test_readonly_reads_no_data(action, resource):
    assert verdict("readonly", req(action, resource, OWNED)) != "allow"


READONLY_INVENTORY = [
    "ecs:ListClusters", "cloudformation:ListStacks", "cloudfront:ListDistributions", "elasticfilesystem:DescribeFileSystems",
    "kinesis:ListStreams", "firehose:ListDeliveryStreams", "events:ListRules", "states:ListStateMachines",
    "es:ListDomainNames", "kafka:ListClusters", "cloudtrail:DescribeTrails", "config:DescribeConfigRules",
    "organizations:DescribeOrganization", "backup:ListBackupVaults", "wafv2:ListWebACLs",
    "iam:GetRolePolicy", "s3:GetBucketPolicy", "s3:GetBucketAcl", "kms:GetKeyPolicy", "ec2:DescribeInstances",
    "lambda:GetFunctionConfiguration", "cloudwatch:GetMetricData", "ce:GetCostAndUsage",
    "backup:ListBackupPlans", "backup:ListBackupSelections",
]


@pytest.mark.parametrize("path", ["/restapis", "/restapis/a1/stages", "/apis/a1/routes", "/usageplans", "/domainnames"])
def test_readonly_inventories_api_gateway_but_not_its_keys(path):
    assert verdict("readonly", req("apigateway:GET", f"arn:aws:apigateway:eu-west-1::{path}")) == "allow"


@pytest.mark.parametrize("action", READONLY_INVENTORY)
def test_readonly_inventories_services_and_exposure(action):
    assert verdict("readonly", req(action)) == "allow"


def test_the_corpus_is_at_least_a_hundred_requests():
    count = (2 * len(DENIED_UNLESS_OWNED) + len(STAMPED_CANNOT_REACH_EXISTING) + len(CONTROL_PLANE_STILL_DOES)
             + len(NEVER_ALLOWED) + 2 * len(WORKLOAD_DENIED_UNLESS_OWNED) + len(WORKLOAD_NEVER) + len(WORKLOAD_STILL_DOES)
             + len(READONLY_DENIED) + len(READONLY_INVENTORY))
    assert count >= 100


def test_a_revoked_boundary_stops_every_workload_role():
    from linking.aws.documents import REVOKED_BOUNDARY

    for request in (req("s3:GetObject", OBJECT, OWNED), req("sqs:SendMessage", QUEUE, OWNED), req("ec2:DescribeInstances"),
                    req("xray:PutTraceSegments"), req("sts:GetCallerIdentity")):
        assert decide(request, [ADMINISTRATOR_ACCESS], REVOKED_BOUNDARY) == "explicit deny"


def test_account_scope_keeps_the_wider_tier_that_is_why_it_warns():
    wider = [document("admin-account")]
    assert decide(req("ec2:TerminateInstances", INSTANCE), wider) == "allow"
    assert decide(req("lambda:UpdateFunctionCode", FUNCTION), wider) == "allow"
    assert verdict("admin", req("ec2:TerminateInstances", INSTANCE)) != "allow"

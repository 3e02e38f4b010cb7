"""A resource pattern is judged by what it can match, not by how it is spelled (the red team's evasions)."""

from __future__ import annotations

import pytest

from linking.aws.lint import lint_aws_permissions, reaches_unowned

from ..builders import allow, aws_doc

ACCOUNT = "111122223333"


@pytest.mark.parametrize("pattern", [
    "*",
    f"arn:aws:iam::{ACCOUNT}:role*",
    f"arn:aws:iam::{ACCOUNT}:role/?*",
    f"arn:aws:iam::{ACCOUNT}:role/*",
    "arn:aws:iam::${aws:PrincipalAccount}:role/*",
    "arn:aws:iam::*:role/*",
    "arn:aws:*:*:*:*",
    f"arn:aws:iam::{ACCOUNT}:role/*a*",
    f"arn:aws:iam::{ACCOUNT}:role/?",
])
def test_passing_every_role_however_spelled_is_an_escalation(pattern):
    findings = lint_aws_permissions(aws_doc(allow(["iam:PassRole"], pattern)), "custom.json", tier="custom")
    assert any(f.rule == "AWS006" and "iam:PassRole" in f.detail for f in findings), findings


@pytest.mark.parametrize(("action", "pattern"), [
    ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:*"),
    ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:*:${aws:PrincipalAccount}:secret:*"),
    ("s3:GetObject", "arn:aws:s3:::*/*"),
    ("s3:GetObject", "arn:aws:s3:::*"),
    ("lambda:GetFunction", f"arn:aws:lambda:*:{ACCOUNT}:function:*"),
    ("lambda:GetFunction", f"arn:aws:lambda:*:{ACCOUNT}:function*"),
    ("ssm:GetParameter", f"arn:aws:ssm:*:{ACCOUNT}:parameter/*"),
    # a wildcard after fewer than four characters of a name: a generated id's prefix or a letter any name holds
    ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:*-??????"),
    ("s3:GetObject", "arn:aws:s3:::*a*/*"),
    ("ssm:GetParameter", f"arn:aws:ssm:*:{ACCOUNT}:parameter/*a*"),
    ("kms:Decrypt", f"arn:aws:kms:*:{ACCOUNT}:key/*"),
])
def test_reading_every_resource_of_a_type_is_a_data_read(action, pattern):
    findings = lint_aws_permissions(aws_doc(allow([action], pattern)), "custom.json", tier="custom")
    assert any(f.rule == "AWS011" for f in findings), findings


@pytest.mark.parametrize(("action", "pattern"), [
    ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:app/db-*"),
    ("s3:GetObject", "arn:aws:s3:::acme-artifacts/*"),
    ("lambda:GetFunction", f"arn:aws:lambda:*:{ACCOUNT}:function:acme-*"),
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/deployer"),
])
def test_naming_the_resources_is_a_fence(action, pattern):
    assert not [f for f in lint_aws_permissions(aws_doc(allow([action], pattern)), "custom.json", tier="custom")
                if f.severity == "error"]


def test_a_reviewed_reference_type_is_not_an_unowned_reach():
    """An owned subnet created in an existing VPC reaches that VPC by reference: the ledger's ``references`` keep it."""
    document = aws_doc(allow(["ec2:CreateSubnet"], f"arn:aws:ec2:*:{ACCOUNT}:vpc/*"))
    assert [f.rule for f in lint_aws_permissions(document, "d", tier="admin")] == ["AWS012"]
    assert lint_aws_permissions(document, "d", tier="admin", kept={"reference:ec2:vpc"}) == []


def test_patterns_are_matched_per_resource_type():
    assert reaches_unowned(f"arn:aws:iam::{ACCOUNT}:role*", "iam", "role")
    assert not reaches_unowned(f"arn:aws:iam::{ACCOUNT}:role/linking/*", "iam", "role")
    assert not reaches_unowned("arn:aws:s3:::*", "iam", "role")


STAMPED = {"StringEquals": {"aws:RequestTag/linking:owned-by": "acme"}}
OWNED = {"StringEquals": {"aws:ResourceTag/linking:owned-by": "acme"}}


@pytest.mark.parametrize(("actions", "condition", "rule"), [
    (["iam:TagRole"], STAMPED, "AWS013"),                      # re-stamps another owner's role
    (["lambda:TagResource"], STAMPED, "AWS013"),
    (["iam:PutRolePolicy"], OWNED, "AWS006"),                  # an owned role can still be given anything
    (["iam:AttachRolePolicy"], STAMPED, "AWS006"),
    (["codebuild:UpdateProject"], STAMPED, "AWS006"),          # an update is no create: the stamp re-tags what exists
    (["ssm:SendCommand"], None, "AWS006"),                     # root on every managed node, as its instance profile
    (["codebuild:StartBuild"], None, "AWS006"),                # a buildspec override runs as the project's role
    (["ssm:SendCommand"], {"Null": {"ec2:CreateAction": "false"}}, "AWS006"),  # create-time fences tag writes only
])
def test_conditions_that_look_like_fences_but_are_not(actions, condition, rule):
    document = aws_doc(allow(actions, "*", **({"Condition": condition} if condition else {})))
    findings = lint_aws_permissions(document, "custom.json", tier="custom", link_id="acme")
    assert any(f.rule == rule and f.severity == "error" for f in findings), findings


def test_commands_on_every_instance_by_an_id_prefix_are_an_escalation():
    document = aws_doc(allow(["ssm:SendCommand"], [f"arn:aws:ec2:*:{ACCOUNT}:instance/i-*",
                                                   "arn:aws:ssm:*::document/AWS-RunShellScript"]))
    assert any(f.rule == "AWS006" for f in lint_aws_permissions(document, "custom.json", tier="custom"))



@pytest.mark.parametrize(("actions", "condition"), [
    (["lambda:TagResource"], OWNED),                                                    # the current tag fences it
    (["ec2:CreateTags"], {**STAMPED, "Null": {"ec2:CreateAction": "false"}}),            # only inside a create
    (["lambda:CreateFunction"], STAMPED),
])
def test_real_fences_still_fence(actions, condition):
    findings = lint_aws_permissions(aws_doc(allow(actions, "*", Condition=condition)), "custom.json", tier="custom", link_id="acme")
    assert not [f for f in findings if f.severity == "error"], findings


def test_other_clouds_classes_named_by_the_red_team():
    from linking.azure.lint import lint_azure
    from linking.gcp.lint import lint_gcp

    assert any(f.rule == "GCP002" for f in lint_gcp(["iam.serviceAccounts.getOpenIdToken"], "role"))
    role = {"Name": "r", "Actions": ["Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write"],
            "AssignableScopes": ["/subscriptions/s"]}
    assert any(f.rule == "AZ006" and f.severity == "error" for f in lint_azure(role, "role", tier="custom"))


def test_a_partial_escalation_method_still_escalates():
    """Rhino's CreateGCEInstanceWithSA lists seven permissions; actAs and the create are what it needs."""
    from linking.gcp.lint import lint_gcp

    assert any(f.rule == "GCP002" for f in lint_gcp(["iam.serviceAccounts.actAs", "compute.instances.create"], "role"))
    assert not any(f.rule == "GCP002" for f in lint_gcp(["compute.instances.create"], "role"))

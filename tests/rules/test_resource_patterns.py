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

"""A condition that looks like a fence but is not, and a Deny that looks like it takes a grant back but does not,
tried on every path that lints a document: the program (a custom tier), `linking check`, and the policy pack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs

from linking.aws.lint import lint_aws_permissions
from linking.cli import main
from linking.policypack.validators import POLICIES

from ..builders import BOUNDARY, allow, aws_doc

BOUNDARY_ARN = "arn:aws:iam::1:policy/b"
FAKE_FENCES = {
    "StringLike with a wildcard": {"StringLike": {"iam:PermissionsBoundary": "*"}},
    "Null true": {"Null": {"iam:PermissionsBoundary": "true"}},
    "Null false": {"Null": {"iam:PermissionsBoundary": "false"}},
    "StringNotEquals": {"StringNotEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}},
    "StringEqualsIfExists": {"StringEqualsIfExists": {"iam:PermissionsBoundary": BOUNDARY_ARN}},
    "ForAnyValue:StringEquals": {"ForAnyValue:StringEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}},
    "ArnLike with a wildcard": {"ArnLike": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/*"}},
    "StringEquals on a wildcard ARN": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/b"}},
    "another key": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
}


def escalation(condition: Any) -> dict[str, Any]:
    return aws_doc(allow(["iam:CreateRole", "iam:AttachRolePolicy"], "arn:aws:iam::1:role/workloads/*", Condition=condition))


@pytest.mark.parametrize("fence", sorted(FAKE_FENCES))
def test_a_condition_that_only_names_the_key_fences_nothing(fence):
    assert "AWS006" in {f.rule for f in lint_aws_permissions(escalation(FAKE_FENCES[fence]), "doc")}


def test_an_equality_on_the_boundary_fences():
    assert "AWS006" not in {f.rule for f in lint_aws_permissions(escalation(BOUNDARY), "doc")}
    assert "AWS006" not in {f.rule for f in lint_aws_permissions(escalation({"ArnEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}}), "doc")}


def test_a_fence_on_someone_else_s_boundary_does_not_count_for_a_link():
    other = {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/permissive"}}
    assert "AWS006" in {f.rule for f in lint_aws_permissions(escalation(other), "doc", boundaries={BOUNDARY_ARN})}
    assert "AWS006" not in {f.rule for f in lint_aws_permissions(escalation(BOUNDARY), "doc", boundaries={BOUNDARY_ARN})}


FAKE_DENIES = {
    "on one bucket": {"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::one/*"]},
    "with a condition that may never be true": {"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": ["*"],
                                                "Condition": {"StringEquals": {"aws:RequestedRegion": "mars-1"}}},
}


@pytest.mark.parametrize("deny", sorted(FAKE_DENIES))
def test_a_deny_that_does_not_cover_the_grant_silences_nothing(deny):
    document = aws_doc(allow(["s3:*"]), FAKE_DENIES[deny])
    assert "AWS007" in {f.rule for f in lint_aws_permissions(document, "doc", tier="readonly")}


def test_a_deny_that_always_applies_takes_the_read_back():
    document = aws_doc(allow(["s3:*"]), {"Effect": "Deny", "Action": ["s3:GetObject*"], "Resource": ["*"]})
    assert "s3:GetObject" not in {f.detail for f in lint_aws_permissions(document, "doc", tier="readonly")}


def _deny_unless_tagged(operator: str, value: str) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": ["lambda:ListFunctions"], "Resource": ["*"],
            "Condition": {operator: {"aws:ResourceTag/linking:owned-by": value}}}


def test_a_deny_unless_the_link_owns_the_resource_fences_an_inventory_pattern():
    unfenced = aws_doc(allow(["lambda:List*"]))
    fenced = aws_doc(allow(["lambda:List*"]), _deny_unless_tagged("StringNotEquals", "acme-prod"))
    def flagged(document: dict[str, Any]) -> set[str]:
        return {f.detail.split()[0] for f in lint_aws_permissions(document, "doc", link_id="acme-prod") if f.rule == "AWS011"}

    assert "lambda:listfunctions" in flagged(unfenced)
    assert "lambda:listfunctions" not in flagged(fenced)


@pytest.mark.parametrize("operator,value", [("StringNotEquals", "someone-else"), ("StringNotLike", "*"), ("StringEquals", "acme-prod")])
def test_a_deny_on_another_owner_or_any_tag_fences_nothing(operator, value):
    document = aws_doc(allow(["lambda:List*"]), _deny_unless_tagged(operator, value))
    assert "lambda:listfunctions [class: secrets_in_configuration]" in {
        f.detail for f in lint_aws_permissions(document, "doc", link_id="acme-prod") if f.rule == "AWS011"}


# --- the same attacks on the other paths: linking check and the policy pack -------------------------

def test_linking_check_finds_a_fake_fence(tmp_path, capsys):
    folder = tmp_path / "aws"
    folder.mkdir()
    (folder / "custom.json").write_text(json.dumps(escalation(FAKE_FENCES["StringLike with a wildcard"])))
    assert main(["check", str(folder / "custom.json")]) == 1
    assert "AWS006" in capsys.readouterr().out


def test_the_pack_finds_a_fake_fence_and_a_partial_deny():
    found: list[str] = []
    for props, resource_type in (
        ({"policy": json.dumps(escalation(FAKE_FENCES["Null true"]))}, "aws:iam/rolePolicy:RolePolicy"),
        ({"tags": {"linking:tier": "readonly"}, "policy": json.dumps(aws_doc(allow(["s3:*"]), FAKE_DENIES["on one bucket"]))},
         "aws:iam/policy:Policy"),
    ):
        args = ResourceValidationArgs(resource_type, props, f"urn:pulumi:s::p::{resource_type}::r", "r", None, None)
        for policy in POLICIES:
            policy.validate(args, lambda message, urn=None: found.append(message))
    assert any("AWS006" in m for m in found) and any("AWS007" in m for m in found)


def test_a_custom_tier_with_a_fake_fence_stops_before_anything_registers(link, plan):
    (plan.project_root / "custom.json").write_text(json.dumps(escalation(FAKE_FENCES["StringEqualsIfExists"])))
    link.update(tier="custom", policyFile="custom.json")
    error = plan.expect_error(link, "linking:link.policyFile", "")
    assert "AWS006" in str(error)

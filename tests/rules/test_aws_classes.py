"""The AWS lint works on classified data (cloudsplaining's escalation methods, the sensitive-action lists, AWS's
access levels), not on names typed into code: each red-team example that used to plan cleanly is stopped on every
path that carries a document: the program (a custom tier), `linking check` and the policy pack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from linking.aws.lint import RULES, lint_aws_permissions
from linking.cli import main
from linking.findings import ERROR
from ..builders import allow, aws_doc, pack_messages

ROLES = "arn:aws:iam::123456789012:role/*"
EXAMPLES: dict[str, tuple[dict[str, Any], str, str]] = {
    # name: (document, tier, rule)
    "sts:AssumeRole on *": (aws_doc(allow(["sts:AssumeRole"])), "custom", "AWS011"),
    "lambda code update and invoke": (aws_doc(allow(["lambda:UpdateFunctionCode", "lambda:InvokeFunction"])), "custom", "AWS006"),
    "another case and a wildcard": (aws_doc(allow(["lambda:updatefunctioncode", "lambda:Invoke?unction"])), "custom", "AWS006"),
    "EC2 instance connect": (aws_doc(allow(["ec2-instance-connect:SendSSHPublicKey"])), "custom", "AWS011"),
    "CloudFormation with PassRole on role/*": (
        aws_doc(allow(["cloudformation:CreateStack"]), allow(["iam:PassRole"], ROLES)), "custom", "AWS006"),
    "boundary removal": (aws_doc(allow(["iam:DeleteRolePermissionsBoundary"], ROLES)), "custom", "AWS006"),
    "organizations:*": (aws_doc(allow(["organizations:*"])), "custom", "AWS010"),
    "a bucket policy on any bucket": (aws_doc(allow(["s3:PutBucketPolicy"])), "custom", "AWS010"),
    "readonly athena results": (aws_doc(allow(["athena:GetQueryResults"])), "readonly", "AWS007"),
    "readonly parameter history": (aws_doc(allow(["ssm:GetParameterHistory"])), "readonly", "AWS007"),
    "readonly log query results": (aws_doc(allow(["logs:GetQueryResults"])), "readonly", "AWS007"),
    "readonly Data API": (aws_doc(allow(["rds-data:ExecuteStatement"])), "readonly", "AWS007"),
    "readonly PartiQL select": (aws_doc(allow(["dynamodb:PartiQLSelect"])), "readonly", "AWS007"),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_lint_names_the_statement_and_the_class(name):
    document, tier, rule = EXAMPLES[name]
    found = [f for f in lint_aws_permissions(document, "doc.json", tier=tier) if f.rule == rule]
    assert found and RULES[rule].severity == ERROR
    assert found[0].location.startswith("doc.json Statement[") and "[class: " in found[0].detail


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_linking_check_stops_it(name, tmp_path, capsys):
    document, tier, rule = EXAMPLES[name]
    folder = tmp_path / "aws"
    folder.mkdir()
    path = folder / f"{tier}.json"
    path.write_text(json.dumps(document))
    assert main(["check", str(path)]) == 1
    assert f"error: {rule}" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_policy_pack_stops_it(name):
    document, tier, rule = EXAMPLES[name]
    props = {"policy": json.dumps(document), **({"tags": {"linking:tier": "readonly"}} if tier == "readonly" else {})}
    assert any(rule in message for message in pack_messages("aws:iam/policy:Policy", props))


@pytest.mark.parametrize("name", sorted(n for n, (_, tier, _) in EXAMPLES.items() if tier == "custom"))
def test_a_custom_tier_carrying_it_stops_before_anything_registers(name, link, plan):
    document, _, rule = EXAMPLES[name]
    (plan.project_root / "custom.json").write_text(json.dumps(document))
    link.update(tier="custom", policyFile="custom.json")
    error = plan.expect_error(link, "linking:link.policyFile", "")
    assert rule in str(error)


def test_a_service_prefix_in_capitals_is_refused_by_the_grammar_and_still_classified_by_the_lint():
    document = aws_doc(allow(["LAMBDA:Update*", "Lambda:InvokeFunction"]))
    assert "AWS006" in {f.rule for f in lint_aws_permissions(document, "doc")}  # the pack's path: no grammar check there


def test_a_fence_on_the_ownership_tag_counts_only_for_the_links_own_id():
    owned_by = lambda who: {"StringEquals": {"aws:ResourceTag/linking:owned-by": who}}  # noqa: E731
    grant = ["secretsmanager:GetSecretValue"]
    assert "AWS011" not in {f.rule for f in lint_aws_permissions(aws_doc(allow(grant, Condition=owned_by("acme"))), "d", link_id="acme")}
    assert "AWS011" in {f.rule for f in lint_aws_permissions(aws_doc(allow(grant, Condition=owned_by("other"))), "d", link_id="acme")}
    assert "AWS011" in {f.rule for f in lint_aws_permissions(
        aws_doc(allow(grant, Condition={"StringLike": {"aws:ResourceTag/linking:owned-by": "*"}})), "d", link_id="acme")}

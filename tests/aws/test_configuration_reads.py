"""The reads that return configuration customers write free-form (environment variables, user data, outputs):
derived from botocore's API models, shipped as ``aws-configuration-reads.json.gz``, and kept out of every tier's
inventory of unowned resources (readonly: or in its ledger with the reason)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys

import pytest

from linking.catalogue import shipped, risk_classes
from linking.aws.catalogue import CONFIGURATION_SECRETS, aws_configuration_reads
from linking.aws.lint import is_data_read

from ..conftest import REPO
from .test_tier_corpus import INSTANCE, OWNED, req, verdict

THE_AUDITS_LIST = [
    "ecs:DescribeTaskDefinition", "batch:DescribeJobDefinitions", "elasticbeanstalk:DescribeConfigurationSettings",
    "codebuild:BatchGetProjects", "cloudformation:DescribeStacks", "ssm:GetAutomationExecution",
    "config:SelectResourceConfig", "lambda:ListFunctions", "ssm:GetCommandInvocation", "ec2:DescribeInstanceAttribute",
]


@pytest.mark.parametrize("action", THE_AUDITS_LIST)
def test_every_read_the_audit_named_is_classed_from_a_source(action):
    """From the API model, or, where its output member has no telling name (Config's SQL results), from the
    reviewed risk-classes.json entry that quotes AWS's reference."""
    assert action in aws_configuration_reads() or action in risk_classes("aws")[CONFIGURATION_SECRETS], action
    assert is_data_read(action)


def test_the_shipped_file_is_what_the_installed_api_models_give():
    if importlib.util.find_spec("botocore") is None:
        pytest.skip("botocore (with the test extra's moto) is needed to regenerate the file")
    snapshot = shipped("aws-configuration-reads.json.gz")
    if snapshot["botocoreVersion"] != importlib.metadata.version("botocore"):
        pytest.skip(f"the file was made from botocore {snapshot['botocoreVersion']}; regenerate it for this version")
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from aws_configuration_reads import configuration_reads
    finally:
        sys.path.pop(0)
    assert configuration_reads() == snapshot["actions"]


@pytest.mark.parametrize("tier,action,resource", [
    ("admin", "lambda:ListFunctions", "*"),
    ("admin", "ecs:DescribeTaskDefinition", "*"),
    ("workload", "lambda:ListFunctions", "*"),
    ("workload", "ec2:DescribeInstanceAttribute", INSTANCE),
])
def test_admin_and_workloads_read_no_configuration_of_unowned_resources(tier, action, resource):
    assert verdict(tier, req(action, resource)) != "allow"


def test_workloads_read_the_configuration_of_what_the_link_owns():
    assert verdict("workload", req("ec2:DescribeInstanceAttribute", INSTANCE, OWNED)) == "allow"

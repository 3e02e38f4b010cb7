"""Live checks against real AWS (opt-in: LINKING_LIVE_TESTS=1 and credentials). Read-only: nothing is created."""

from __future__ import annotations

import boto3
import pytest

from linking.aws import AwsNames, render_policy
from linking.policy import builtin_document_path

pytestmark = pytest.mark.live


@pytest.mark.parametrize("name", ["admin", "readonly", "workload-boundary"])
def test_access_analyzer_finds_no_errors(name):
    """IAM Access Analyzer's policy validation: the grammar and semantics AWS itself applies."""
    account = boto3.client("sts").get_caller_identity()["Account"]
    document = render_policy(builtin_document_path("aws", name), AwsNames("live-check", account, "aws"), name)
    findings = boto3.client("accessanalyzer").validate_policy(policyDocument=document.text, policyType="IDENTITY_POLICY")["findings"]
    assert [f for f in findings if f["findingType"] in ("ERROR", "SECURITY_WARNING")] == []
